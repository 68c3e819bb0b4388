/**
 * `em.flush()` of 1,000 changed entities (inserts, then updates of the same rows) with the outbox,
 * against the same flush without the module, alternating round by round (ratio per round, then
 * the median and range). The memory mode is shown for reference. Each round is timed alone: the
 * relay delivers (to a transport answering at once) and deletes the rows between rounds.
 *
 * Then one flush of each kind on a query-logging ORM: the INSERT statements into the outbox
 * table are counted, to show the rows go in batches (one statement per 500), not one per update.
 */
import { Book } from '../../lib/orm/__fixtures__/entities';
import { ENTITIES, immediateTransport, round, type RoundTimes } from '../flush.bench';
import type { BenchDatabase } from '../support/bench-databases';
import { machineLoad } from '../support/machine-load';
import { median, medianAndRange } from '../support/stats';
import { DEFAULT_RELAY } from './defaults';

const WARMUP_ROUNDS = 3;
const ROUNDS = 10;
const TARGET = 1.5;

export async function flushCost(db: BenchDatabase): Promise<void> {
  const common = { transport: immediateTransport, outboxOptions: DEFAULT_RELAY };
  const setups = {
    without: await db.context({ ...common, withoutListener: true }),
    memory: await db.context(common),
    outbox: await db.context({ ...common, outbox: true }),
  };
  const rounds: Record<keyof typeof setups, RoundTimes>[] = [];
  try {
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
      // Each flush from its own random point of the young generation, the same for every setup
      // (see `shiftYoungGeneration` in flush.bench.ts).
      const shifts = { insert: Math.random(), update: Math.random() };
      const times = {
        without: await round(setups.without, i, shifts),
        memory: await round(setups.memory, i, shifts),
        outbox: await round(setups.outbox, i, shifts),
      };
      if (i >= WARMUP_ROUNDS) rounds.push(times);
    }
  } finally {
    await Promise.all(Object.values(setups).map((ctx) => ctx.close()));
  }
  console.log(`\nem.flush() of ${ENTITIES} entities, outbox vs no Mercure module (${db.name}; ms and ratios: median (min–max) of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up; ${machineLoad()})`);
  console.table(
    (['insert', 'update'] as const).map((op) => ({
      flush: `${ENTITIES} ${op}s`,
      'no module (ms)': medianAndRange(rounds.map((r) => r.without[op].wall)),
      'memory mode (ms)': medianAndRange(rounds.map((r) => r.memory[op].wall)),
      'outbox (ms)': medianAndRange(rounds.map((r) => r.outbox[op].wall)),
      'outbox / no module': medianAndRange(rounds.map((r) => r.outbox[op].wall / r.without[op].wall), 3),
      'same, CPU time': medianAndRange(rounds.map((r) => r.outbox[op].cpu / r.without[op].cpu), 3),
      target: `<= ${TARGET}`,
      verdict: median(rounds.map((r) => r.outbox[op].wall / r.without[op].wall)) <= TARGET ? 'met' : 'MISSED',
      'outbox, until delivered (ms)': medianAndRange(rounds.map((r) => r.outbox[`${op}Delivered`].wall)),
    })),
  );
  await countOutboxInserts(db);
}

const OUTBOX_INSERT = /^(?:\[query\]\s*)?insert into [`"]?(?:\w+[`"]?\.[`"]?)?mercure_outbox\b/i;

/** MikroORM colours its log when an earlier ORM of the process turned colours on. */
const withoutColors = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

/** One flush of each kind on an ORM logging its queries; counts the outbox INSERTs and the updates delivered. */
async function countOutboxInserts(db: BenchDatabase): Promise<void> {
  const statements: string[] = [];
  let delivered = 0;
  const ctx = await db.context({
    transport: { send: async () => (delivered++, 'urn:uuid:bench') },
    outbox: true,
    outboxOptions: DEFAULT_RELAY,
    ormOptions: { debug: ['query'], colors: false, logger: (message: string) => statements.push(message) },
  });
  const rows: Record<string, string | number>[] = [];
  try {
    const em = ctx.orm.em.fork();
    const books = Array.from({ length: ENTITIES }, (_, i) => em.create(Book, { title: `Book ${i}`, author: 'Count' }));
    const flush = async (op: string) => {
      await ctx.drain();
      statements.length = 0;
      delivered = 0;
      await em.flush();
      const outboxInserts = statements.filter((line) => OUTBOX_INSERT.test(withoutColors(line))).length;
      await ctx.drain();
      rows.push({ flush: `${ENTITIES} ${op}`, 'updates delivered': delivered, 'INSERT statements into mercure_outbox': outboxInserts, expected: Math.ceil(ENTITIES / 500) });
    };
    await flush('inserts');
    books.forEach((book, i) => (book.title = `Book ${i} (rev)`));
    await flush('updates');
  } finally {
    await ctx.close();
  }
  console.log(`Outbox INSERT statements per flush (${db.name}, counted in MikroORM's query log):`);
  console.table(rows);
  if (rows.some((row) => row['INSERT statements into mercure_outbox'] !== row.expected || row['updates delivered'] !== ENTITIES)) {
    throw new Error('The outbox did not write its rows in one statement per 500 rows');
  }
}
