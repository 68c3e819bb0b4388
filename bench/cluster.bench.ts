/**
 * The embedded hub on every core: 10k SSE subscribers of one topic, against the same load on the
 * raw `node:http` SSE server (`support/raw-sse-server.ts`, one process: the practical limit of
 * one core). Servers, each in fresh processes, alternating within each round:
 * - `raw node:http`: the baseline;
 * - `Nest (Express), memory`: `MercureHubModule` in one process, the default transport;
 * - `cluster, 1 worker (Redis)` and `cluster, N workers (Redis)`: the Nest app with the hub on the
 *   Redis transport run by `runClustered` (`support/cluster-bench-server.ts`), N =
 *   `os.availableParallelism()`; the primary spreads the subscribers over the workers.
 *
 * Updates are POSTed with a publisher JWT over one keep-alive connection (so to one worker, which
 * appends them to Redis; every worker reads them back and writes to its own subscribers).
 * - latency: 20 updates, each POSTed 50 ms after the previous one reached every subscriber,
 *   carrying its publish time; p50 / p99 over every delivery (`support/hub-load.ts`);
 * - one by one: updates POSTed one after the other, each awaited (with Redis the answer comes once
 *   the update is appended, not delivered); deliveries/s = updates x N / (last delivery - first POST).
 *
 * The subscribers run in one child process, on the same machine: with 2 cores, the server's
 * workers, Redis and the subscribers share them (printed with the load average). So the table
 * also gives the server's CPU time per delivery in the one-by-one phase (from /proc), for all its
 * processes and for the busiest one: with a core free for each worker, the busiest process is what
 * bounds the rate (about 1e6 / that many deliveries/s), whatever else the machine runs.
 *
 * Env: CLUSTER_BENCH_SUBSCRIBERS (10000), CLUSTER_BENCH_ROUNDS (3), CLUSTER_BENCH_WORKERS
 * (os.availableParallelism()), TEST_REDIS_URL or REDIS_URL (redis://127.0.0.1:6379).
 */
import { ChildProcess, fork, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { createServer } from 'net';
import { availableParallelism, loadavg } from 'os';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { HUB_BENCH_KEY, HUB_BENCH_PATH, type HubBenchVariant } from './support/hub-bench-server';
import { BENCH_TOPIC, hubPoster, LATENCY_INTERVAL_MS, latencies as measureLatencies, oneByOne as measureOneByOne, phaseUpdates, warmUp } from './support/hub-load';
import { SseSubscribers } from './support/sse-subscribers';
import { median, medianAndRange, percentile, sum } from './support/stats';

const TARGET_P99_MS = 50;
const REDIS_URL = process.env.TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';

interface Run {
  p50: number;
  p99: number;
  oneByOne: number;
  /** Server CPU time per delivery in the one-by-one phase (µs): all its processes, and the busiest one. */
  cpuTotal: number;
  cpuBusiest: number;
}

interface Server {
  port: number;
  /** The server's processes (a cluster's primary and workers). */
  pids: number[];
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time a process has used (user + system), in µs, from /proc (NaN where there is none). */
function cpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
  } catch {
    return NaN;
  }
}

const trace = (step: string) => process.env.CLUSTER_BENCH_VERBOSE && console.error(`[cluster.bench] ${step}`);

/** The raw server or the single-process Nest app, from the hub bench's server entry. */
async function singleProcess(variant: HubBenchVariant): Promise<Server> {
  const child = fork(require.resolve('./support/hub-bench-server'), [variant], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${variant} server exited (${code})`)));
    child.once('message', (message) => resolve(message as { port: number }));
  });
  return {
    port,
    pids: [child.pid!],
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** The Nest app with the hub on Redis, on `workers` cluster workers; resolves once all listen. */
async function clustered(workers: number, prefix: string): Promise<Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, require.resolve('./support/cluster-bench-server'), String(port), String(workers), REDIS_URL, prefix],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const pids = [child.pid!];
  await new Promise<void>((resolve, reject) => {
    let listening = 0;
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('listening ')) listening = pids.push(Number(line.slice(10))) - 1;
        else trace(line);
      }
      if (listening === workers) resolve();
    });
    void exited.then((code) => reject(new Error(`the cluster exited at start-up (${code})`)));
  });
  return {
    port,
    pids,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) console.error(`[cluster.bench] the cluster exited with ${code} on SIGTERM`);
    },
  };
}

async function measure(server: Server, n: number, token: string): Promise<Run> {
  const subscribers = new SseSubscribers();
  const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: 1 });
  const post = hubPoster(pool, token, 'the server');

  try {
    await subscribers.connect(server.port, n, HUB_BENCH_PATH, BENCH_TOPIC);
    trace('connected');
    await warmUp(subscribers, post);

    const latencies = await measureLatencies(subscribers, post);
    trace('latency measured');
    const before = server.pids.map(cpuMicros);
    const oneByOne = await measureOneByOne(subscribers, post, n);
    const used = server.pids.map((pid, i) => cpuMicros(pid) - before[i]);
    const deliveries = phaseUpdates(n) * n;
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      oneByOne,
      cpuTotal: sum(used) / deliveries,
      cpuBusiest: Math.max(...used) / deliveries,
    };
  } finally {
    await pool.close();
    await subscribers.close();
    await server.stop();
  }
}

export async function run(): Promise<void> {
  const n = Number(process.env.CLUSTER_BENCH_SUBSCRIBERS ?? 10_000);
  const rounds = Number(process.env.CLUSTER_BENCH_ROUNDS ?? 3);
  const cores = Number(process.env.CLUSTER_BENCH_WORKERS ?? availableParallelism());
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch {
    console.log(`Skipped: the cluster bench needs Redis (TEST_REDIS_URL or REDIS_URL; tried ${new URL(REDIS_URL).host}).`);
    redis.disconnect();
    return;
  }
  const prefix = `mercure_cluster_bench_${randomBytes(4).toString('hex')}:`;
  const token = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(HUB_BENCH_KEY));
  const variants: [string, () => Promise<Server>][] = [
    ['raw node:http', () => singleProcess('raw node:http')],
    ['Nest (Express), memory', () => singleProcess('Nest (Express)')],
    ['cluster, 1 worker (Redis)', () => clustered(1, prefix)],
    [`cluster, ${cores} workers (Redis)`, () => clustered(cores, prefix)],
  ];
  const runs = new Map<string, Run[]>(variants.map(([name]) => [name, []]));
  const load: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, start] of variants) {
        trace(`round ${round + 1}: ${name}`);
        load.push(loadavg()[0]);
        runs.get(name)!.push(await measure(await start(), n, token));
      }
    }
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  const base = runs.get('raw node:http')!;
  const ratio = (name: string, key: keyof Run) => medianAndRange(runs.get(name)!.map((r, i) => r[key] / base[i][key]));
  const abs = (name: string, key: keyof Run, digits: number) => +median(runs.get(name)!.map((r) => r[key])).toFixed(digits);
  const range = (name: string, key: keyof Run) => medianAndRange(runs.get(name)!.map((r) => r[key]), 1);
  console.log(
    `\nThe hub on every core: ${n} subscribers of one topic, updates POSTed with a publisher JWT, each ${LATENCY_INTERVAL_MS} ms after the previous reached everyone; ` +
      `${rounds} rounds, fresh processes each; ratios to "raw node:http" of the same round, median (min–max). ` +
      `${availableParallelism()} cores shared by the server, Redis and the subscribers' process; load average (1 min) during the runs ${medianAndRange(load)}.`,
  );
  console.table(
    variants.map(([name]) => ({
      server: name,
      'p50 (ms)': abs(name, 'p50', 1),
      'p99 (ms)': range(name, 'p99'),
      'p99 ratio': ratio(name, 'p99'),
      'one by one (deliveries/s)': abs(name, 'oneByOne', 0),
      ratio: ratio(name, 'oneByOne'),
      'server CPU µs / delivery': abs(name, 'cpuTotal', 2),
      'busiest process': abs(name, 'cpuBusiest', 2),
      target: name.startsWith('cluster') ? `p99 < ${TARGET_P99_MS} ms` : '',
    })),
  );
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
