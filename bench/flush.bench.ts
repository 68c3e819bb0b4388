/**
 * Cost of the Mercure listener on `em.flush()`: 1,000 changed `@ApiResource({ mercure: true })`
 * entities (inserts, then updates of the same rows) flushed on libsql in memory, with and without
 * the listener. The hub side is a real HubPublisher + PublishQueue over a transport that answers
 * at once; the queue is drained between rounds, outside the timed part, so each round times the
 * flush alone: noting the changes and snapshotting each entity's JSON-LD. The JSON encoding and
 * the queueing run in a `setImmediate` right after the flush returns: "flush + deferred" times
 * until then (both setups wait for one `setImmediate` after the flush, so the hop costs both alike);
 * the last column adds the delivery to the transport.
 *
 * The two setups alternate round by round and the ratio is taken per round, then the median (with
 * the range over rounds), so that drift of a shared machine (other processes, CPU frequency) hits
 * both alike. Targets: <= 1.10x for the flush alone, <= 1.25x with the deferred work.
 */
import { performance } from 'perf_hooks';
import { Book } from '../lib/orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../lib/orm/__fixtures__/mercure-test-context';
import type { PublishTransport } from '../lib/publisher/publish-transport';
import { median, medianAndRange } from './support/stats';

export const ENTITIES = 1000;
const WARMUP_ROUNDS = 5;
const ROUNDS = 25;

export const immediateTransport: PublishTransport = { send: async () => 'urn:uuid:bench' };

export interface RoundTimes {
  insert: number;
  update: number;
  /** Until the work deferred to right after the flush (encoding, queueing) is done. */
  insertQueued: number;
  updateQueued: number;
  /** Until the transport received every update (encoding and queueing run after the flush). */
  insertDelivered: number;
  updateDelivered: number;
}

/** The listener queues in a `setImmediate` scheduled during the flush: one scheduled after it runs later. */
const afterDeferredWork = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Flushes `ENTITIES` inserts then updates of them; each flush timed alone, then until delivered. */
export async function round(ctx: MercureTestContext, salt: number): Promise<RoundTimes> {
  const em = ctx.orm.em.fork();
  const books = Array.from({ length: ENTITIES }, (_, i) =>
    em.create(Book, { title: `Book ${i}`, author: 'Bench', isbn: `978-${salt}-${i}`, publishedAt: new Date(1_700_000_000_000 + i) }),
  );
  let start = performance.now();
  await em.flush();
  const insert = performance.now() - start;
  await afterDeferredWork();
  const insertQueued = performance.now() - start;
  await ctx.drain();
  const insertDelivered = performance.now() - start;

  books.forEach((book, i) => (book.title = `Book ${i} (rev ${salt})`));
  start = performance.now();
  await em.flush();
  const update = performance.now() - start;
  await afterDeferredWork();
  const updateQueued = performance.now() - start;
  await ctx.drain();
  const updateDelivered = performance.now() - start;
  return { insert, update, insertQueued, updateQueued, insertDelivered, updateDelivered };
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

  const rows = (['insert', 'update'] as const).flatMap((op) =>
    ([[op, 'flush alone', '<= 1.10x'], [`${op}Queued`, 'flush + deferred work', '<= 1.25x']] as const).map(([key, what, target]) => ({
      operation: `${ENTITIES} ${op}s: ${what}`,
      'without listener (ms)': medianAndRange(rounds.map((r) => r.without[key])),
      'with listener (ms)': medianAndRange(rounds.map((r) => r.with[key])),
      'ratio (per round)': medianAndRange(rounds.map((r) => r.with[key] / r.without[key]), 3),
      target,
      'with listener, until delivered (ms)': +median(rounds.map((r) => r.with[`${op}Delivered`])).toFixed(2),
    })),
  );
  console.log(
    `em.flush() with and without the Mercure listener (libsql :memory:, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up; median (min–max))`,
  );
  console.table(rows);
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
