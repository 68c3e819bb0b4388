/**
 * Publish throughput: the queue (concurrent across topics, keep-alive pool) versus one awaited
 * POST per update, which is how API Platform publishes. The sink stands in for a hub that answers
 * after 1 ms; it runs in a worker thread so it does not compete with the publisher for the loop.
 */
import { performance } from 'perf_hooks';
import { Worker } from 'worker_threads';
import { request } from 'undici';
import { encodeUpdate, HttpTransport } from '../lib/publisher/http-transport';
import { PublishQueue } from '../lib/publisher/publish-queue';
import { Update } from '../lib/publisher/update';

const UPDATES = 2000;
const TOPICS = 200;
const HUB_LATENCY_MS = 1;

const SINK = `
const { createServer } = require('http');
const { parentPort, workerData } = require('worker_threads');
let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('urn:uuid:' + received); }, workerData.latency);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'count') parentPort.postMessage({ received });
  if (message === 'stop') { server.closeAllConnections(); server.close(() => process.exit(0)); }
});
`;

interface Sink {
  url: string;
  received(): Promise<number>;
  stop(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const worker = new Worker(SINK, { eval: true, workerData: { latency: HUB_LATENCY_MS } });
  const next = () => new Promise<Record<string, number>>((resolve) => worker.once('message', resolve));
  const { port } = await next();
  return {
    url: `http://127.0.0.1:${port}/.well-known/mercure`,
    received: async () => {
      worker.postMessage('count');
      return (await next()).received;
    },
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

function updates(): Update[] {
  return Array.from(
    { length: UPDATES },
    (_, i) => new Update(`https://example.com/books/${i % TOPICS}`, JSON.stringify({ '@id': `/books/${i % TOPICS}`, seq: i })),
  );
}

async function sequential(url: string, batch: Update[]): Promise<number> {
  const start = performance.now();
  for (const update of batch) {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer bench' },
      body: encodeUpdate(update),
    });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`sink answered ${response.statusCode}`);
  }
  return performance.now() - start;
}

async function queued(url: string, batch: Update[]): Promise<number> {
  const queue = new PublishQueue(new HttpTransport({ url, token: async () => 'bench' }), { hubName: 'bench' });
  try {
    await Promise.all(batch.slice(0, 50).map((update) => queue.enqueue(update))); // warm the pool
    const start = performance.now();
    await Promise.all(batch.map((update) => queue.enqueue(update)));
    return performance.now() - start;
  } finally {
    await queue.close();
  }
}

export async function run(): Promise<void> {
  const sink = await startSink();
  try {
    const batch = updates();
    await sequential(sink.url, batch.slice(0, 50)); // warm up the global dispatcher
    const sequentialMs = await sequential(sink.url, batch);
    const queuedMs = await queued(sink.url, batch);
    const received = await sink.received();
    if (received !== 2 * UPDATES + 100) {
      throw new Error(`the sink received ${received} updates, expected ${2 * UPDATES + 100}`);
    }
    const rate = (ms: number) => Math.round(UPDATES / (ms / 1000));
    console.log(`\nPublish throughput: ${UPDATES} updates over ${TOPICS} topics, hub answering after ${HUB_LATENCY_MS} ms`);
    console.table([
      { mode: 'one awaited POST per update', 'time (ms)': Math.round(sequentialMs), 'updates/s': rate(sequentialMs) },
      { mode: 'PublishQueue + HttpTransport', 'time (ms)': Math.round(queuedMs), 'updates/s': rate(queuedMs) },
    ]);
    console.log(`speed-up: ${(sequentialMs / queuedMs).toFixed(1)}x (target >= 5x)`);
  } finally {
    await sink.stop();
  }
}
