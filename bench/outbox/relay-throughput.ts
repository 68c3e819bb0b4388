/**
 * Relay throughput: N updates delivered to a hub stand-in answering after 1 ms (a separate
 * process), through the outbox (rows written in one transaction, then claimed, sent and deleted
 * by the relay: timed until the relay is idle, i.e. every row deleted) and through the memory
 * queue (`PublishQueue`, timed until every `enqueue()` resolved), both on one `HttpTransport`.
 * Warm: one unrecorded run of each first; then the modes alternate, run by run.
 * On many topics, and on one topic, where per-topic order serialises both.
 */
import { performance } from 'perf_hooks';
import { HttpTransport } from '../../lib/publisher/http-transport';
import { PublishQueue } from '../../lib/publisher/publish-queue';
import { Update } from '../../lib/publisher/update';
import type { BenchDatabase } from '../support/bench-databases';
import { startHttpSink, type HttpSink } from '../support/http-sink';
import { median, medianAndRange } from '../support/stats';
import { DEFAULT_RELAY } from './defaults';

const HUB_LATENCY_MS = 1;
const WARMUP_RUNS = 1;
const RUNS = 5;
const CASES = [
  { name: '200 topics', updates: 2000, topics: 200 },
  { name: '1 topic', updates: 200, topics: 1 },
];

export async function relayThroughput(db: BenchDatabase): Promise<void> {
  const sink = await startHttpSink(HUB_LATENCY_MS);
  const transport = new HttpTransport({ url: sink.url, token: async () => 'bench' });
  const ctx = await db.context({ outbox: true, withoutListener: true, transport, outboxOptions: DEFAULT_RELAY });
  const queue = new PublishQueue(transport, { hubName: 'bench' });
  const table: Record<string, string>[] = [];
  try {
    for (const { name, updates: count, topics } of CASES) {
      const batch = () => Array.from({ length: count }, (_, i) => new Update(`https://example.com/books/${i % topics}`, JSON.stringify({ '@id': `/books/${i % topics}`, seq: i })));
      const modes = {
        outbox: async () => {
          await ctx.outbox.add(batch());
          if (!(await ctx.outbox.whenIdle(60_000))) throw new Error('the relay did not finish');
        },
        memory: async () => {
          await Promise.all(batch().map((update) => queue.enqueue(update)));
        },
      };
      const rates = { outbox: [] as number[], memory: [] as number[] };
      for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
        // Alternate which mode goes first, so drift hits both alike.
        const order = run % 2 ? (['memory', 'outbox'] as const) : (['outbox', 'memory'] as const);
        for (const mode of order) {
          const ms = await timed(sink, count, modes[mode]);
          if (run >= WARMUP_RUNS) rates[mode].push(count / (ms / 1000));
        }
      }
      const ratios = rates.outbox.map((rate, i) => rate / rates.memory[i]);
      table.push({
        case: `${count} updates, ${name}`,
        'outbox (updates/s)': medianAndRange(rates.outbox, 0),
        'memory queue (updates/s)': medianAndRange(rates.memory, 0),
        'outbox / memory': medianAndRange(ratios, 2),
        target: '>= 1',
        verdict: median(ratios) >= 1 ? 'met' : 'MISSED',
      });
    }
  } finally {
    await queue.close();
    await ctx.close();
    await sink.stop();
  }
  console.log(`\nRelay throughput vs the memory queue, hub stand-in answering after ${HUB_LATENCY_MS} ms in another process (${db.name}; median (min–max) of ${RUNS} warm runs, default settings: relay concurrency ${DEFAULT_RELAY.concurrency}, batch ${DEFAULT_RELAY.batchSize}; queue concurrency 64)`);
  console.table(table);
}

/** Runs `work`, checks the sink got `count` more updates, returns the time taken (ms). */
async function timed(sink: HttpSink, count: number, work: () => Promise<void>): Promise<number> {
  const before = (await sink.stats()).received;
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const received = (await sink.stats()).received - before;
  if (received !== count) throw new Error(`the sink received ${received} updates, expected ${count}`);
  return ms;
}
