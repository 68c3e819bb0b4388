/**
 * Cost of the Mercure listener on `em.flush()`: 1,000 changed `@ApiResource({ mercure: true })`
 * entities (inserts, then updates of the same rows) flushed on libsql in memory, with and without
 * the listener. The hub side is a real HubPublisher + PublishQueue over a transport that answers
 * at once; the queue is drained between rounds, outside the timed part, so each round times the
 * flush alone: noting the changes and snapshotting each entity's JSON-LD (the JSON encoding and
 * the queueing run right after the flush returns; the last column includes them and delivery).
 *
 * The two setups alternate round by round and the ratio is taken per round, then the median, so
 * that drift of a shared machine (other processes, CPU frequency) hits both alike.
 * Target: ratio <= 1.2.
 */
import { performance } from 'perf_hooks';
import { Book } from '../lib/orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../lib/orm/__fixtures__/mercure-test-context';
import type { PublishTransport } from '../lib/publisher/publish-transport';
import { median } from './support/stats';

export const ENTITIES = 1000;
const WARMUP_ROUNDS = 5;
const ROUNDS = 25;

export const immediateTransport: PublishTransport = { send: async () => 'urn:uuid:bench' };

export interface RoundTimes {
  insert: number;
  update: number;
  /** Until the transport received every update (encoding and queueing run after the flush). */
  insertDelivered: number;
  updateDelivered: number;
}

/** Flushes `ENTITIES` inserts then updates of them; each flush timed alone, then until delivered. */
export async function round(ctx: MercureTestContext, salt: number): Promise<RoundTimes> {
  const em = ctx.orm.em.fork();
  const books = Array.from({ length: ENTITIES }, (_, i) =>
    em.create(Book, { title: `Book ${i}`, author: 'Bench', isbn: `978-${salt}-${i}`, publishedAt: new Date(1_700_000_000_000 + i) }),
  );
  let start = performance.now();
  await em.flush();
  const insert = performance.now() - start;
  await ctx.drain();
  const insertDelivered = performance.now() - start;

  books.forEach((book, i) => (book.title = `Book ${i} (rev ${salt})`));
  start = performance.now();
  await em.flush();
  const update = performance.now() - start;
  await ctx.drain();
  const updateDelivered = performance.now() - start;
  return { insert, update, insertDelivered, updateDelivered };
}

export async function run(): Promise<void> {
  const without = await createMercureTestContext({ withoutListener: true, transport: immediateTransport });
  const withListener = await createMercureTestContext({ transport: immediateTransport });
  const rounds: Array<{ without: RoundTimes; with: RoundTimes }> = [];
  try {
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
      const a = await round(without, i);
      const b = await round(withListener, i);
      if (i >= WARMUP_ROUNDS) {
        rounds.push({ without: a, with: b });
      }
    }
  } finally {
    await without.close();
    await withListener.close();
  }

  const rows = (['insert', 'update'] as const).map((op) => ({
    operation: `flush ${ENTITIES} ${op}s`,
    'without listener (ms, median)': +median(rounds.map((r) => r.without[op])).toFixed(2),
    'with listener (ms, median)': +median(rounds.map((r) => r.with[op])).toFixed(2),
    'ratio (median per round)': +median(rounds.map((r) => r.with[op] / r.without[op])).toFixed(3),
    target: '<= 1.2',
    'with listener, until all delivered (ms, median)': +median(rounds.map((r) => r.with[`${op}Delivered`])).toFixed(2),
  }));
  console.log(`em.flush() with and without the Mercure listener (libsql :memory:, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up)`);
  console.table(rows);
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
