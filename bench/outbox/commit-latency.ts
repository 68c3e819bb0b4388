/**
 * Commit-to-hub latency at a steady 200 commits/s, each commit one entity update (`em.flush()`):
 * from the commit (a subscriber's `afterTransactionCommit`) to the arrival of the update's body
 * at the hub stand-in (another process, answering after 1 ms). Both ends read `process.hrtime`,
 * the system's monotonic clock (`performance.timeOrigin` is fixed at each process's start, so
 * wall-clock adjustments since skew it). Through the outbox relay, and through the memory queue
 * for reference; the modes alternate run by run.
 */
import { performance } from 'perf_hooks';
import type { EntityManager, EventSubscriber } from '@mikro-orm/core';
import { Book } from '../../lib/orm/__fixtures__/entities';
import type { MercureTestContext } from '../../lib/orm/__fixtures__/mercure-test-context';
import { HttpTransport } from '../../lib/publisher/http-transport';
import type { BenchDatabase } from '../support/bench-databases';
import { startHttpSink, type HttpSink } from '../support/http-sink';
import { median, medianAndRange, percentile } from '../support/stats';
import { DEFAULT_RELAY } from './defaults';

const RATE = 200;
/** Commits per run, scheduled over COMMITS / RATE seconds; a run stops at that time even if the database could not keep up (the table shows the rate achieved). */
const COMMITS = 400;
const BOOKS = 50;
const WARMUP_RUNS = 1;
const RUNS = 5;
const P99_TARGET_MS = 20;

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One mode's ORM, stamping each commit with the mark of the flush in progress. */
interface Setup {
  ctx: MercureTestContext;
  em: EntityManager;
  books: Book[];
  commitAt: Map<number, number>;
  flushing: { mark: number };
}

async function setup(db: BenchDatabase, sink: HttpSink, outbox: boolean): Promise<Setup> {
  const commitAt = new Map<number, number>();
  const flushing = { mark: -1 };
  const stamp: EventSubscriber = { afterTransactionCommit: () => void commitAt.set(flushing.mark, now()) };
  const transport = new HttpTransport({ url: sink.url, token: async () => 'bench' });
  const ctx = await db.context({ outbox, transport, outboxOptions: DEFAULT_RELAY, subscribersBefore: [stamp] });
  const em = ctx.orm.em.fork();
  const books = Array.from({ length: BOOKS }, (_, i) => em.create(Book, { title: `Book ${i}`, author: 'Latency' }));
  await em.flush();
  await ctx.drain();
  return { ctx, em, books, commitAt, flushing };
}

let nextMark = 0;

/** COMMITS commits paced at RATE; returns each one's latency (ms) and the rate achieved. */
async function paced(s: Setup, sink: HttpSink): Promise<{ latencies: number[]; rate: number }> {
  s.commitAt.clear();
  await sink.stats(); // forgets earlier marks
  const { em, books } = s;
  const start = performance.now();
  const end = start + (COMMITS * 1000) / RATE;
  let done = 0;
  for (let i = 0; i < COMMITS && performance.now() < end; i++, done++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    // Always back to the event loop, as between two requests (a synchronous driver, e.g. libsql,
    // resolves a flush in microtasks only: without this the sends would wait for the last commit).
    await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    s.flushing.mark = nextMark++;
    books[i % books.length].title = `mark-${s.flushing.mark}`;
    await em.flush();
  }
  const rate = done / ((performance.now() - start) / 1000);
  await s.ctx.drain();
  const { marks } = await sink.stats();
  const latencies: number[] = [];
  for (const [mark, committed] of s.commitAt) {
    const received = marks.get(mark);
    if (received === undefined) throw new Error(`update mark-${mark} never reached the hub stand-in`);
    latencies.push(received - committed);
  }
  if (latencies.length !== done) throw new Error(`${latencies.length} commits stamped, expected ${done}`);
  return { latencies, rate };
}

export async function commitLatency(db: BenchDatabase): Promise<void> {
  const sink = await startHttpSink(1);
  const setups = { outbox: await setup(db, sink, true), memory: await setup(db, sink, false) };
  const runs = { outbox: [] as number[][], memory: [] as number[][] };
  const rates = { outbox: [] as number[], memory: [] as number[] };
  try {
    for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
      const order = run % 2 ? (['memory', 'outbox'] as const) : (['outbox', 'memory'] as const);
      for (const mode of order) {
        const { latencies, rate } = await paced(setups[mode], sink);
        if (run >= WARMUP_RUNS) {
          runs[mode].push(latencies);
          rates[mode].push(rate);
        }
      }
    }
  } finally {
    await setups.outbox.ctx.close();
    await setups.memory.ctx.close();
    await sink.stop();
  }
  console.log(`\nCommit-to-hub latency at ${RATE} commits/s, ${COMMITS} commits scheduled per run (${db.name}; ms: median (min–max) over ${RUNS} runs of each run's percentile)`);
  console.table(
    (['outbox', 'memory'] as const).map((mode) => {
      const p99s = runs[mode].map((l) => percentile(l, 99));
      return {
        mode: mode === 'outbox' ? 'outbox relay' : 'memory queue (reference)',
        'commits/s achieved': medianAndRange(rates[mode], 0),
        p50: medianAndRange(runs[mode].map((l) => percentile(l, 50))),
        p99: medianAndRange(p99s),
        max: medianAndRange(runs[mode].map((l) => Math.max(...l))),
        'p99 target': mode === 'outbox' ? `< ${P99_TARGET_MS}` : '',
        verdict: mode === 'outbox' ? (median(p99s) < P99_TARGET_MS ? 'met' : 'MISSED') : '',
      };
    }),
  );
}
