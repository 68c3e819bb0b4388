import { LockMode } from '@mikro-orm/core';
import { POSTGRES_URL, describeWithPostgres, uniqueSchemaName } from '../../test/support/databases';
import { Book } from './__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext } from './__fixtures__/mercure-test-context';
import { defineTransactionScenarios } from './__fixtures__/transaction-scenarios';

describeWithPostgres('MercureFlushListener (PostgreSQL)', () => {
  let ctx: MercureTestContext;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ postgresUrl: POSTGRES_URL, schema: uniqueSchemaName() });
  });
  afterAll(() => ctx?.close());

  describe('transactions', () => {
    defineTransactionScenarios(() => ctx, { independentTransactions: true });
  });

  describe('concurrent transactions on one row', () => {
    const deferred = () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    };
    const publishedTitles = async (id: number) => {
      await ctx.drain();
      return ctx.recorder.updates.filter((u) => u.topics[0] === `${BASE_URL}/books/${id}`).map((u) => JSON.parse(u.data).title);
    };
    const createBook = async () => {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'Original' });
      await em.flush();
      await ctx.reset();
      return book.id;
    };
    // Lets the second transaction reach the row lock and block on it.
    const untilBlocked = () => new Promise((resolve) => setTimeout(resolve, 150));

    it.each([1, 2, 3])('publish in commit order with a PESSIMISTIC_WRITE lock (run %i)', async () => {
      const id = await createBook();
      const firstLocked = deferred();
      const releaseFirst = deferred();
      const first = ctx.orm.em.fork().transactional(async (em) => {
        const book = await em.findOneOrFail(Book, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
        book.title = 'First';
        await em.flush();
        firstLocked.resolve();
        await releaseFirst.promise;
      });
      await firstLocked.promise;
      const second = ctx.orm.em.fork().transactional(async (em) => {
        const book = await em.findOneOrFail(Book, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
        expect(book.title).toBe('First'); // read after the first committed
        book.title = 'Second';
      });
      await untilBlocked();
      expect(ctx.recorder.updates).toHaveLength(0);
      releaseFirst.resolve();
      await Promise.all([first, second]);
      expect(await publishedTitles(id)).toEqual(['First', 'Second']);
      expect((await ctx.orm.em.fork().findOneOrFail(Book, id)).title).toBe('Second');
    });

    it.each([1, 2, 3])('publish in commit order when a plain UPDATE blocks on the row (run %i)', async () => {
      const id = await createBook();
      const firstFlushed = deferred();
      const releaseFirst = deferred();
      const first = ctx.orm.em.fork().transactional(async (em) => {
        (await em.findOneOrFail(Book, id)).title = 'First';
        await em.flush();
        firstFlushed.resolve();
        await releaseFirst.promise;
      });
      await firstFlushed.promise;
      const second = ctx.orm.em.fork().transactional(async (em) => {
        (await em.findOneOrFail(Book, id)).title = 'Second';
        await em.flush(); // blocks until the first commits
      });
      await untilBlocked();
      releaseFirst.resolve();
      await Promise.all([first, second]);
      expect(await publishedTitles(id)).toEqual(['First', 'Second']);
    });
  });
});
