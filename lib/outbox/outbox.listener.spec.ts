import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { POSTGRES_URL, describeWithPostgres, uniqueSchemaName } from '../../test/support/databases';
import { Book } from '../orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../orm/__fixtures__/mercure-test-context';
import { defineTransactionScenarios } from '../orm/__fixtures__/transaction-scenarios';

/** Counts the rows of the outbox table right now. */
async function rowCount(ctx: MercureTestContext): Promise<number> {
  const stats = await ctx.outbox.stats();
  return stats.pending + stats.failed;
}

function defineOutboxRowChecks(getContext: () => MercureTestContext): void {
  it('writes the rows inside the transaction: a commit that fails after they were written leaves none', async () => {
    const ctx = getContext();
    await ctx.reset();
    // Registered after the listener: it runs once the rows are written, and makes the COMMIT fail.
    let armed = false;
    const seenInTransaction: number[] = [];
    ctx.orm.em.getEventManager().registerSubscriber({
      beforeTransactionCommit: async (args) => {
        if (!armed) return;
        // The rows are there, in the transaction, when the commit fails.
        const schema = ctx.orm.config.get('schema') as string | undefined;
        const table = schema ? `"${schema}".mercure_outbox` : 'mercure_outbox';
        const [row] = await args.em.getConnection().execute(`select count(*) as n from ${table}`, [], 'all', args.transaction);
        seenInTransaction.push(Number(row.n));
        throw new Error('commit refused');
      },
    });
    const em = ctx.orm.em.fork();
    em.create(Book, { title: 'First' });
    await em.flush();
    await ctx.drain();
    armed = true;
    try {
      const plain = ctx.orm.em.fork();
      plain.create(Book, { title: 'Lost in a plain flush' });
      await expect(plain.flush()).rejects.toThrow('commit refused');
      await expect(
        ctx.orm.em.fork().transactional(async (tx) => {
          tx.create(Book, { title: 'Lost in a transaction' });
        }),
      ).rejects.toThrow('commit refused');
    } finally {
      armed = false;
    }
    await ctx.drain();
    expect(seenInTransaction).toEqual([1, 1]);
    expect(ctx.recorder.updates.map((u) => JSON.parse(u.data).title)).toEqual(['First']);
    expect(await rowCount(ctx)).toBe(0);
    expect(await ctx.orm.em.fork().count(Book, { title: { $like: 'Lost%' } })).toBe(0);
  });

  it('gives every update an id, and leaves no row once delivered', async () => {
    const ctx = getContext();
    await ctx.reset();
    await ctx.orm.em.fork().transactional(async (em) => {
      em.create(Book, { title: 'A' });
      em.create(Book, { title: 'B' });
    });
    await ctx.drain();
    expect(ctx.recorder.updates).toHaveLength(2);
    for (const update of ctx.recorder.updates) expect(update.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(await rowCount(ctx)).toBe(0);
  });
}

describe('outbox mode (SQLite file)', () => {
  let ctx: MercureTestContext;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mercure-outbox-'));
    ctx = await createMercureTestContext({ outbox: true, ormOptions: { dbName: join(dir, 'db.sqlite') } });
  });
  afterAll(async () => {
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('transactions', () => {
    defineTransactionScenarios(() => ctx, { independentTransactions: false });
  });
  describe('rows', () => defineOutboxRowChecks(() => ctx));
});

describeWithPostgres('outbox mode (PostgreSQL)', () => {
  let ctx: MercureTestContext;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ outbox: true, postgresUrl: POSTGRES_URL, schema: uniqueSchemaName() });
  });
  afterAll(() => ctx?.close());

  describe('transactions', () => {
    defineTransactionScenarios(() => ctx, { independentTransactions: true });
  });
  describe('rows', () => defineOutboxRowChecks(() => ctx));

  it('delivers two concurrent transactions on one row in commit order', async () => {
    await ctx.reset();
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'v0' });
    await em.flush();
    await ctx.reset();

    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const firstHoldsTheRow = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = ctx.orm.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(Book, book.id);
      row.title = 'first';
      await tx.flush(); // UPDATE: the row is locked until COMMIT
      firstLocked();
      await firstMayCommit;
    });
    await firstHoldsTheRow;
    const second = ctx.orm.em.fork().transactional(async (tx) => {
      await tx.nativeUpdate(Book, { id: book.id }, { title: 'second' }); // waits for the first's lock
      const row = await tx.findOneOrFail(Book, book.id, { refresh: true });
      row.title = 'second!';
      await tx.flush();
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the second is now blocked on the lock
    releaseFirst();
    await Promise.all([first, second]);
    await ctx.drain();

    expect(ctx.recorder.updates.map((u) => JSON.parse(u.data).title)).toEqual(['first', 'second!']);
    const stored = await ctx.orm.em.fork().findOneOrFail(Book, book.id);
    expect(stored.title).toBe('second!');
  });
});
