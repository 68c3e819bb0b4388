/**
 * The embedded hub under load: 1,000 and 10,000 concurrent SSE subscribers on one process.
 *
 * The hub (framework-free `MercureHub` on a node:http server, memory transport) runs in this
 * process; the subscribers are raw TCP clients in a child process, so that parsing the streams
 * does not steal the hub's CPU. Updates are published in-process (`hub.publish`, the path
 * `MercureModule` takes with the embedded hub) so the figures are about fan-out, not about
 * parsing publish requests. Every subscriber subscribes to the same topic, so each update is
 * delivered to all of them.
 *
 * - memory per idle subscriber: RSS and heap of the hub process after GC, before and after the
 *   subscribers connect, divided by N (kernel socket buffers are not counted);
 * - latency: 20 updates, 50 ms apart, each carrying its publish time (CLOCK_MONOTONIC, shared by
 *   both processes); p50 / p99 over every (update, subscriber) delivery, as seen by the client
 *   process (with one client process reading N sockets, its own reading time is part of it);
 *   "hub write / update" is the median time the hub took to write one update to all N;
 * - throughput: a burst of updates published back to back; "hub fan-out" is the rate at which the
 *   hub wrote them to every connection, "end to end" the rate until every subscriber received all.
 */
import { ChildProcess, fork } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { MercureHub } from '../lib/hub/mercure-hub';

const SIZES = [1000, 10_000];
const LATENCY_UPDATES = 20;
const LATENCY_INTERVAL_MS = 50;
const BURST_DELIVERIES = 1_000_000; // burst size = this / N updates (at least 100)
const TOPIC = 'https://example.com/books/1';
const CHILD_FLAG = 'MERCURE_HUB_BENCH_CHILD';

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

// ------------------------------------------------------------------------------------------------
// Child: the subscribers.

type ToChild =
  | { cmd: 'connect'; port: number; n: number; path: string }
  | { cmd: 'expect'; perSubscriber: number; latency: boolean }
  | { cmd: 'close' };

type FromChild =
  | { type: 'connected'; n: number; ms: number }
  | { type: 'received'; total: number; latencies?: { p50: number; p99: number; max: number } }
  | { type: 'error'; message: string };

function childMain(): void {
  const sockets: net.Socket[] = [];
  const remainders: string[] = [];
  const counts: number[] = [];
  let expected = 0;
  let measuring = false;
  let received = 0;
  let latencies: Float64Array = new Float64Array(0);
  let latencyCount = 0;
  const send = (message: FromChild) => process.send!(message);

  const onData = (index: number, chunk: Buffer) => {
    let text = remainders[index] + chunk.toString('latin1');
    let end = text.indexOf('\n\n');
    while (end !== -1) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      end = text.indexOf('\n\n');
      if (!measuring) continue;
      const d = frame.indexOf('data: ');
      if (d === -1) continue;
      counts[index]++;
      received++;
      if (latencies.length > 0) {
        const sent = Number(frame.slice(d + 6));
        if (latencyCount < latencies.length) latencies[latencyCount++] = (nowMicros() - sent) / 1000;
      }
    }
    remainders[index] = text;
    if (measuring && received === expected) {
      measuring = false;
      let summary: { p50: number; p99: number; max: number } | undefined;
      if (latencyCount > 0) {
        const sorted = latencies.subarray(0, latencyCount).sort();
        const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
        summary = { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
      }
      send({ type: 'received', total: received, latencies: summary });
    }
  };

  const connect = async (port: number, n: number, path: string) => {
    const start = performance.now();
    const request = `GET ${path}?topic=${encodeURIComponent(TOPIC)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`;
    let ready = 0;
    const batch = 250;
    for (let offset = 0; offset < n; offset += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - offset) }, () => {
          return new Promise<void>((resolve, reject) => {
            const index = sockets.length;
            const socket = net.connect(port, '127.0.0.1');
            sockets.push(socket);
            remainders.push('');
            counts.push(0);
            let headersDone = false;
            socket.on('error', reject);
            socket.on('data', (chunk: Buffer) => {
              if (!headersDone) {
                const text = remainders[index] + chunk.toString('latin1');
                const headerEnd = text.indexOf('\r\n\r\n');
                if (headerEnd === -1) {
                  remainders[index] = text;
                  return;
                }
                if (!text.startsWith('HTTP/1.1 200')) {
                  reject(new Error(text.split('\r\n')[0]));
                  return;
                }
                headersDone = true;
                remainders[index] = '';
                ready++;
                resolve();
                return;
              }
              // Chunked transfer encoding: the chunk-size lines never contain "\n\n" nor "data: ".
              onData(index, chunk);
            });
            socket.write(request);
          });
        }),
      );
    }
    send({ type: 'connected', n: ready, ms: performance.now() - start });
  };

  process.on('message', (message: ToChild) => {
    if (message.cmd === 'connect') {
      connect(message.port, message.n, message.path).catch((error: Error) => send({ type: 'error', message: error.message }));
    } else if (message.cmd === 'expect') {
      received = 0;
      expected = message.perSubscriber * sockets.length;
      counts.fill(0);
      latencies = message.latency ? new Float64Array(expected) : new Float64Array(0);
      latencyCount = 0;
      measuring = true;
    } else if (message.cmd === 'close') {
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }
  });
}

// ------------------------------------------------------------------------------------------------
// Parent: the hub.

function exposeGc(): () => void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

class Child {
  private readonly process: ChildProcess;
  private waiters: ((message: FromChild) => void)[] = [];

  constructor() {
    this.process = fork(__filename, [], {
      env: { ...process.env, [CHILD_FLAG]: '1' },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: FromChild) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
    });
  }

  send(message: ToChild): void {
    this.process.send(message);
  }

  next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiters.push((message) => {
        if (message.type === 'error') reject(new Error(message.message));
        else if (message.type !== type) reject(new Error(`expected ${type}, got ${message.type}`));
        else resolve(message as Extract<FromChild, { type: T }>);
      });
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.send({ cmd: 'close' });
    await exited;
  }
}

interface Row {
  subscribers: number;
  'connect (s)': number;
  'heap / idle sub (KiB)': number;
  'RSS / idle sub (KiB)': number;
  'hub write / update (ms)': number;
  'latency p50 (ms)': number;
  'latency p99 (ms)': number;
  'burst (updates)': number;
  'hub fan-out (updates/s)': number;
  'end to end (updates/s)': number;
  'deliveries/s': number;
}

async function measure(n: number, gc: () => void): Promise<Row> {
  const hub = new MercureHub({
    anonymous: true,
    heartbeat: 0,
    historySize: 0,
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  await hub.start();
  const server = http.createServer(hub.handler);
  server.maxConnections = n + 100;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const port = (server.address() as AddressInfo).port;
  const child = new Child();
  try {
    gc();
    const before = process.memoryUsage();
    child.send({ cmd: 'connect', port, n, path: hub.path });
    const connected = await child.next('connected');
    if (connected.n !== n || hub.connectionCount !== n) {
      throw new Error(`connected ${connected.n} / hub sees ${hub.connectionCount}, expected ${n}`);
    }
    gc();
    const after = process.memoryUsage();

    // Latency: spaced updates, each stamped with its publish time.
    child.send({ cmd: 'expect', perSubscriber: LATENCY_UPDATES, latency: true });
    const latencyDone = child.next('received');
    const writeTimes: number[] = [];
    for (let i = 0; i < LATENCY_UPDATES; i++) {
      const t0 = performance.now();
      await hub.publish({ topics: [TOPIC], data: String(nowMicros()) }); // fans out synchronously
      writeTimes.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, LATENCY_INTERVAL_MS));
    }
    const latency = (await latencyDone).latencies!;
    writeTimes.sort((a, b) => a - b);

    // Throughput: a burst.
    const burst = Math.max(100, Math.round(BURST_DELIVERIES / n));
    child.send({ cmd: 'expect', perSubscriber: burst, latency: false });
    const burstDone = child.next('received');
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the child get the message first
    const data = JSON.stringify({ '@id': '/books/1', '@type': 'Book', title: 'Bench', author: 'Hub' });
    const start = performance.now();
    for (let i = 0; i < burst; i++) await hub.publish({ topics: [TOPIC], data });
    const written = performance.now() - start;
    await burstDone;
    const total = performance.now() - start;

    return {
      subscribers: n,
      'connect (s)': +(connected.ms / 1000).toFixed(2),
      'heap / idle sub (KiB)': +((after.heapUsed - before.heapUsed) / n / 1024).toFixed(2),
      'RSS / idle sub (KiB)': +((after.rss - before.rss) / n / 1024).toFixed(2),
      'hub write / update (ms)': +writeTimes[Math.floor(writeTimes.length / 2)].toFixed(2),
      'latency p50 (ms)': +latency.p50.toFixed(2),
      'latency p99 (ms)': +latency.p99.toFixed(2),
      'burst (updates)': burst,
      'hub fan-out (updates/s)': Math.round(burst / (written / 1000)),
      'end to end (updates/s)': Math.round(burst / (total / 1000)),
      'deliveries/s': Math.round((burst * n) / (total / 1000)),
    };
  } finally {
    await child.close();
    await hub.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function run(): Promise<void> {
  const gc = exposeGc();
  const rows: Row[] = [];
  for (const n of SIZES) rows.push(await measure(n, gc));
  console.log(
    'Embedded hub fan-out: N SSE subscribers on one process (clients in a child process), one topic, in-process publish, memory transport',
  );
  console.table(rows);
}

if (process.env[CHILD_FLAG]) {
  childMain();
} else if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
