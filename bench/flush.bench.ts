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
 * The two setups alternate round by round (which one goes first alternates too), on the same data,
 * both warmed up by the same rounds first, and the ratio is taken per round, then the median (with
 * the range over rounds), so that drift of a shared machine (other processes, CPU frequency) hits
 * both alike. Each phase is timed twice: wall-clock, and the CPU time of this process
 * (`process.cpuUsage()`, every thread: the JIT, the garbage collector's helpers), which a busy
 * neighbour cannot stretch. Targets: <= 1.10x for the flush alone, <= 1.25x with the deferred work.
 * `FLUSH_BENCH_ROUNDS` sets the rounds (default 40).
 *
 * Garbage collection is left where it falls, not forced: a minor collection (2 to 7 ms here, about
 * one per phase) lands in whichever phase fills the young generation (each flush starts at a random
 * point of it, see `shiftYoungGeneration`), so a single round's ratio swings by 0.1x to 0.3x. Forcing one before each phase would make rounds look alike but charge
 * every phase one collection whatever it allocated, hiding that the listener's allocations make
 * collections more frequent. So beside the per-round median, the table prints the ratio of the CPU
 * times summed over all rounds: every pause each setup caused, at its natural rate, counted once
 * (it is the figure to hold against the target when the two disagree), and the mean GC pause time
 * per phase of each setup. Garbage left by one phase may set off a collection in the next (the
 * inserts' deferred work fills the young generation the updates' flush then collects): that is
 * the listener's cost all the same, only booked to the next phase. A major collection (tens of ms,
 * a few per run, in either setup) that lands in one phase moves that phase's summed ratio by up to
 * 0.2x (the max column shows it); the median ignores it. A forced full collection between rounds
 * would remove that, but it also shrinks the young generation: the next rounds ran three times
 * slower, far from the steady state an application runs in, so the bench does not.
 *
 * The table also counts the GC pauses that began in each phase, over all rounds. V8 starts a
 * minor collection as a task (at the next turn of the event loop) once the young generation is 80%
 * full, and a flush takes no turn of the event loop: a collection falls inside it only if the young
 * generation fills up during it, else in the `setImmediate` hop after it (`node --trace-gc` names
 * them "allocation failure" and "task"); with each flush shifted (see `shiftYoungGeneration`),
 * the counts follow what each phase allocates.
 */
import { performance, PerformanceObserver } from 'perf_hooks';
import { getHeapSpaceStatistics } from 'v8';
import { Book } from '../lib/orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../lib/orm/__fixtures__/mercure-test-context';
import type { PublishTransport } from '../lib/publisher/publish-transport';
import { machineLoad } from './support/machine-load';
import { mean, median, medianAndRange, sum } from './support/stats';

export const ENTITIES = 1000;
const WARMUP_ROUNDS = 5;
const ROUNDS = Number(process.env.FLUSH_BENCH_ROUNDS ?? 40);

export const immediateTransport: PublishTransport = { send: async () => 'urn:uuid:bench' };

/** One phase, in ms: wall-clock, CPU time of this process, and when it ran (`performance.now()`). */
export interface Timing {
  wall: number;
  cpu: number;
  from: number;
  to: number;
}

/**
 * The garbage collector's pauses, to show which phase paid for them: a minor collection takes a
 * few ms here and lands in whichever phase fills the young generation, which moves a phase's
 * ratio by 0.1x to 0.3x either way from round to round.
 */
const gcPauses: { start: number; duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, duration: entry.duration });
});

/** The GC pauses that began during `timing` (call once the observer has reported them). */
function pausesDuring(timing: Timing): { start: number; duration: number }[] {
  return gcPauses.filter((pause) => pause.start >= timing.from && pause.start < timing.to);
}

/** Milliseconds of GC pauses that began during `timing`. */
function gcDuring(timing: Timing): number {
  return sum(pausesDuring(timing).map((pause) => pause.duration));
}

export interface RoundTimes {
  insert: Timing;
  update: Timing;
  /** Until the work deferred to right after the flush (encoding, queueing) is done. */
  insertQueued: Timing;
  updateQueued: Timing;
  /** Until the transport received every update (encoding and queueing run after the flush). */
  insertDelivered: Timing;
  updateDelivered: Timing;
}

let garbage: unknown;

/**
 * Allocates `fraction` of the young generation's size as garbage, outside the timed phases. A round
 * allocates the same bytes in the same order every time, so without this the minor collections
 * land at the same points round after round: one setup's update phase may always hold one and the
 * other's never, which books the listener a whole pause (or none) for a few percent more garbage.
 * Shifting the start by a random amount (the same for both setups of a round) makes a phase hold a
 * collection with a probability proportional to what it allocates, which is the cost to measure.
 *
 * Both flushes of a round are shifted, each by its own amount. Shifting only the round's start
 * did not reach the update flush: the insert flush allocates about a young generation's worth, so
 * a collection during it or in the hop after it leaves the young generation at nearly the same
 * fill before every update flush. From that fixed point the 2 to 3% the listener adds to the
 * update flush's allocation decided whether a collection fell inside it or in the hop after it
 * (the counts are in the README's performance section).
 */
function shiftYoungGeneration(fraction: number): void {
  const size = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  for (let chunks = Math.floor((size * fraction) / 8016); chunks > 0; chunks--) {
    garbage = new Array(1000).fill(0); // about 8 KB each
  }
}

/** A stopwatch started now: `lap()` gives the wall-clock and CPU time since. */
function stopwatch(): { lap(): Timing } {
  const from = performance.now();
  const cpu = process.cpuUsage();
  return {
    lap() {
      const used = process.cpuUsage(cpu);
      const to = performance.now();
      return { wall: to - from, cpu: (used.user + used.system) / 1000, from, to };
    },
  };
}

/** The listener queues in a `setImmediate` scheduled during the flush: one scheduled after it runs later. */
const afterDeferredWork = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Flushes `ENTITIES` inserts then updates of them; each flush timed alone, then until delivered.
 * `shifts`: the young generation is shifted by these fractions right before each flush.
 */
export async function round(ctx: MercureTestContext, salt: number, shifts?: { insert: number; update: number }): Promise<RoundTimes> {
  const em = ctx.orm.em.fork();
  const books = Array.from({ length: ENTITIES }, (_, i) =>
    em.create(Book, { title: `Book ${i}`, author: 'Bench', isbn: `978-${salt}-${i}`, publishedAt: new Date(1_700_000_000_000 + i) }),
  );
  if (shifts) shiftYoungGeneration(shifts.insert);
  let watch = stopwatch();
  await em.flush();
  const insert = watch.lap();
  await afterDeferredWork();
  const insertQueued = watch.lap();
  await ctx.drain();
  const insertDelivered = watch.lap();

  books.forEach((book, i) => (book.title = `Book ${i} (rev ${salt})`));
  if (shifts) shiftYoungGeneration(shifts.update);
  watch = stopwatch();
  await em.flush();
  const update = watch.lap();
  await afterDeferredWork();
  const updateQueued = watch.lap();
  await ctx.drain();
  const updateDelivered = watch.lap();
  return { insert, update, insertQueued, updateQueued, insertDelivered, updateDelivered };
}

export async function run(): Promise<void> {
  const without = await createMercureTestContext({ withoutListener: true, transport: immediateTransport });
  const withListener = await createMercureTestContext({ transport: immediateTransport });
  const rounds: Array<{ without: RoundTimes; with: RoundTimes }> = [];
  const loadBefore = machineLoad();
  gcObserver.observe({ entryTypes: ['gc'] });
  try {
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
      // Which setup goes first alternates too, so that neither always inherits the other's garbage.
      const withFirst = i % 2 === 1;
      const shifts = { insert: Math.random(), update: Math.random() };
      const shifted = (ctx: MercureTestContext) => round(ctx, i, shifts);
      const b0 = withFirst ? await shifted(withListener) : undefined;
      const a = await shifted(without);
      const b = b0 ?? (await shifted(withListener));
      if (i >= WARMUP_ROUNDS) {
        rounds.push({ without: a, with: b });
      }
    }
  } finally {
    await without.close();
    await withListener.close();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the observer reports asynchronously
    gcObserver.disconnect();
  }

  const rows = (['insert', 'update'] as const).flatMap((op) =>
    ([[op, 'flush alone', '<= 1.10x'], [`${op}Queued`, 'flush + deferred work', '<= 1.25x']] as const).map(([key, what, target]) => ({
      operation: `${ENTITIES} ${op}s: ${what}`,
      'without (ms)': medianAndRange(rounds.map((r) => r.without[key].wall)),
      'with (ms)': medianAndRange(rounds.map((r) => r.with[key].wall)),
      'ratio, wall': medianAndRange(rounds.map((r) => r.with[key].wall / r.without[key].wall), 3),
      'ratio, CPU time': medianAndRange(rounds.map((r) => r.with[key].cpu / r.without[key].cpu), 3),
      target,
      'ratio of totals, CPU': +(sum(rounds.map((r) => r.with[key].cpu)) / sum(rounds.map((r) => r.without[key].cpu))).toFixed(3),
      'GC (ms/phase, mean), without / with': `${mean(rounds.map((r) => gcDuring(r.without[key]))).toFixed(2)} / ${mean(rounds.map((r) => gcDuring(r.with[key]))).toFixed(2)}`,
      'GC pauses in all rounds, without / with': `${sum(rounds.map((r) => pausesDuring(r.without[key]).length))} / ${sum(rounds.map((r) => pausesDuring(r.with[key]).length))}`,
      'with, until delivered (ms)': +median(rounds.map((r) => r.with[`${op}Delivered`].wall)).toFixed(2),
    })),
  );
  console.log(
    `em.flush() with and without the Mercure listener (libsql :memory:, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up, ` +
      `alternating; ratios per round, median (min–max); ${loadBefore} before, ${machineLoad()} after)`,
  );
  console.table(rows);
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
