/**
 * The embedded hub under load, as users run it, against the practical limit: N SSE subscribers of
 * one topic, updates POSTed over HTTP with a publisher JWT, deliveries counted at the subscribers.
 *
 * Each (server, N) runs in a fresh server process (`support/hub-bench-server.ts`), with the
 * subscribers in another (`support/sse-subscribers.ts`) and the publisher in this one. Servers:
 * the raw `node:http` SSE server (`support/raw-sse-server.ts`, the baseline: same bytes, nothing
 * else), the bare `MercureHub` on `node:http`, `MercureHubModule` in a Nest app on Express and on
 * Fastify (mounted on the HTTP server, the default, and as framework middleware with
 * `mount: 'framework'`), the hub in a plain Fastify server, and the raw server mounted in Nest
 * (the mounting cost alone). The
 * servers alternate within each round and every ratio is to the raw server of the same round;
 * tables give the median over rounds with the range.
 *
 * - one by one: `SEQUENTIAL` updates, each POST awaited before the next (the hub answers after it
 *   wrote to every subscriber); deliveries/s = updates x N / (last delivery - first POST);
 * - burst: the same count with `BURST_CONCURRENCY` POSTs in flight;
 * - latency: `LATENCY_UPDATES` updates, each POSTed `LATENCY_INTERVAL_MS` after the previous one
 *   reached every subscriber (never a backlog), carrying its publish time; p50 / p99 over every
 *   (update, subscriber) delivery (the phases are in `support/hub-load.ts`, shared with
 *   `cluster.bench.ts`);
 * - memory: RSS / heap of the server process after GC, before and after N idle subscribers, / N.
 *   Each reading waits for the collector to give freed pages back (`settledMemory`). At 1k, RSS
 *   grows less than the heap: the new objects fill pages V8 had already taken; read the heap.
 *
 * Env: HUB_BENCH_SIZES (default 1000,10000), HUB_BENCH_ROUNDS (3), HUB_BENCH_VARIANTS (names,
 * comma-separated; default all).
 */
import { fork } from 'child_process';
import { SignJWT } from 'jose';
import { Pool } from 'undici';
import { HUB_BENCH_KEY, HUB_BENCH_PATH, HUB_BENCH_VARIANTS, type HubBenchVariant } from './support/hub-bench-server';
import { nowMicros, SseSubscribers } from './support/sse-subscribers';
import { BENCH_TOPIC, BENCH_UPDATE, hubPoster, latencies as measureLatencies, oneByOne as measureOneByOne, phaseUpdates, warmUp } from './support/hub-load';
import { median, medianAndRange, percentile } from './support/stats';

const BURST_CONCURRENCY = 16;
const BASELINE: HubBenchVariant = 'raw node:http';
const GOALS: Partial<Record<HubBenchVariant, string>> = {
  'Nest (Express)': '>= 0.97x deliveries/s, <= 1.05x p99',
  'Nest (Fastify)': '>= 0.97x deliveries/s, <= 1.05x p99',
  'Nest (Express) framework mount': '(the previous default; for comparison)',
  'Nest (Fastify) framework mount': '(for comparison)',
};

interface Run {
  oneByOne: number;
  burst: number;
  p50: number;
  p99: number;
  rssPerSub: number;
  heapPerSub: number;
}

type Memory = NodeJS.MemoryUsage;

async function startServer(variant: HubBenchVariant) {
  const child = fork(require.resolve('./support/hub-bench-server'), [variant], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the ${variant} server exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message) => (child.off('exit', onExit), resolve(message as T)));
    });
  const { port } = await next<{ port: number }>();
  return {
    port,
    memory: async () => {
      const answer = next<{ memory: Memory }>();
      child.send('memory');
      return (await answer).memory;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

const trace = (step: string) => process.env.HUB_BENCH_VERBOSE && console.error(`[hub.bench] ${step}`);

async function measure(variant: HubBenchVariant, n: number, token: string): Promise<Run> {
  trace(`${variant}, ${n} subscribers`);
  const server = await startServer(variant);
  const subscribers = new SseSubscribers();
  const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: BURST_CONCURRENCY });
  const post = hubPoster(pool, token, variant);
  try {
    const before = await server.memory();
    await subscribers.connect(server.port, n, HUB_BENCH_PATH, BENCH_TOPIC);
    const after = await server.memory();
    trace('connected');

    await warmUp(subscribers, post);

    // Each update once the previous one reached every subscriber, and LATENCY_INTERVAL_MS later.
    const latencies = await measureLatencies(subscribers, post);
    trace('latency measured');

    const oneByOne = await measureOneByOne(subscribers, post, n);
    trace('one by one measured');

    const updates = phaseUpdates(n);
    const data = BENCH_UPDATE;
    const { done } = await subscribers.expect(updates, false);
    const start = nowMicros();
    let sent = 0;
    await Promise.all(
      Array.from({ length: BURST_CONCURRENCY }, async () => {
        while (sent < updates) {
          sent++;
          await post(data);
        }
      }),
    );
    const burst = (updates * n) / (((await done).lastAt - start) / 1e6);
    return {
      oneByOne,
      burst,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      rssPerSub: (after.rss - before.rss) / n / 1024,
      heapPerSub: (after.heapUsed - before.heapUsed) / n / 1024,
    };
  } finally {
    await pool.close();
    await subscribers.close();
    await server.stop();
  }
}

/** Whether the medians meet the goal (one by one and burst deliveries/s, p99), for the variants that have one. */
function metGoal(variant: HubBenchVariant, ratio: (variant: HubBenchVariant, key: keyof Run) => number[]): string {
  if (!GOALS[variant]?.startsWith('>=')) return '';
  const ok =
    median(ratio(variant, 'oneByOne')) >= 0.97 && median(ratio(variant, 'burst')) >= 0.97 && median(ratio(variant, 'p99')) <= 1.05;
  return ok ? 'yes' : 'no';
}

function selectedVariants(): HubBenchVariant[] {
  const wanted = process.env.HUB_BENCH_VARIANTS?.split(',').map((name) => name.trim());
  const variants = HUB_BENCH_VARIANTS.filter((variant) => !wanted || wanted.includes(variant));
  return variants.includes(BASELINE) ? variants : [BASELINE, ...variants];
}

export async function run(): Promise<void> {
  const sizes = (process.env.HUB_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
  const rounds = Number(process.env.HUB_BENCH_ROUNDS ?? 3);
  const variants = selectedVariants();
  const token = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(HUB_BENCH_KEY));
  for (const n of sizes) {
    const runs = new Map<HubBenchVariant, Run[]>(variants.map((variant) => [variant, []]));
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) runs.get(variant)!.push(await measure(variant, n, token));
    }
    const base = runs.get(BASELINE)!;
    const ratio = (variant: HubBenchVariant, key: keyof Run) => runs.get(variant)!.map((r, i) => r[key] / base[i][key]);
    const abs = (variant: HubBenchVariant, key: keyof Run, digits: number) => +median(runs.get(variant)!.map((r) => r[key])).toFixed(digits);
    console.log(
      `\nHub fan-out, ${n} subscribers of one topic, updates POSTed with a publisher JWT, ${rounds} rounds (fresh processes each); ratios to "${BASELINE}" of the same round, median (min–max)`,
    );
    console.table(
      variants.map((variant) => ({
        server: variant,
        'one by one (deliveries/s)': abs(variant, 'oneByOne', 0),
        'ratio': medianAndRange(ratio(variant, 'oneByOne')),
        'burst x16 (deliveries/s)': abs(variant, 'burst', 0),
        'ratio ': medianAndRange(ratio(variant, 'burst')),
        'p50 (ms)': abs(variant, 'p50', 1),
        'p99 (ms)': abs(variant, 'p99', 1),
        'p99 ratio': medianAndRange(ratio(variant, 'p99')),
        'RSS / sub (KiB)': abs(variant, 'rssPerSub', 1),
        'heap / sub (KiB)': abs(variant, 'heapPerSub', 1),
        goal: GOALS[variant] ?? '',
        met: metGoal(variant, ratio),
      })),
    );
  }
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
