import { LockMode } from '@mikro-orm/core';
import type { EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { POSTGRES_URL, describeWithPostgres, uniqueSchemaName } from '../../test/support/databases';
import { Book } from './__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext } from './__fixtures__/mercure-test-context';
import { defineTransactionScenarios } from './__fixtures__/transaction-scenarios';

/** Holds back one transaction event of one transaction, ahead of the listener. */
interface Gate {
  event: 'beforeTransactionCommit' | 'afterTransactionCommit';
  matches(args: TransactionEventArgs): boolean;
  wait(): Promise<void>;
}
const gates: Gate[] = [];
const passGate = async (event: Gate['event'], args: TransactionEventArgs) => {
  const index = gates.findIndex((gate) => gate.event === event && gate.matches(args));
  if (index >= 0) {
    const [gate] = gates.splice(index, 1);
    await gate.wait();
  }
};
const gateSubscriber: EventSubscriber = {
  beforeTransactionCommit: (args) => passGate('beforeTransactionCommit', args),
  afterTransactionCommit: (args) => passGate('afterTransactionCommit', args),
};

describeWithPostgres('MercureFlushListener (PostgreSQL)', () => {
  let ctx: MercureTestContext;
  const schema = uniqueSchemaName();
  beforeAll(async () => {
    ctx = await createMercureTestContext({ postgresUrl: POSTGRES_URL, schema, subscribersBefore: [gateSubscriber] });
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
    const titlesOn = (id: number) =>
      ctx.recorder.updates.filter((u) => u.topics[0] === `${BASE_URL}/books/${id}`).map((u) => JSON.parse(u.data).title);
    const publishedTitles = async (id: number) => {
      await ctx.drain();
      return titlesOn(id);
    };
    const createBook = async () => {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'Original' });
      await em.flush();
      await ctx.reset();
      return book.id;
    };
    /** Polls (bounded, no fixed sleep) until a query of this spec's schema waits for a lock. */
    const untilBlocked = async () => {
      const blocked = async () => {
        const rows: { n: number }[] = await ctx.orm.em
          .getConnection()
          .execute(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and position(? in query) > 0`,
            [`"${schema}".`],
          );
        return rows[0].n > 0;
      };
      for (let i = 0; i < 500 && !(await blocked()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await blocked()).toBe(true);
    };
    /** Lets the queue deliver whatever was queued, without waiting for updates held back. */
    const settleQueue = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await ctx.hubs.get().drain(5000);
    };
    afterEach(() => {
      gates.length = 0;
      // Nothing left behind: every ticket was published or dropped.
      expect((ctx.listener as unknown as { order: { pending: number } }).order.pending).toBe(0);
    });

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
      await settleQueue();
      expect(titlesOn(id)).toEqual([]);
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

    // The race, forced: the first transaction's afterTransactionCommit is held back (by a
    // subscriber registered before the listener) until the second one has committed and reached
    // its own; the hub must still get First, then Second.
    describe.each([
      ['a transaction', async (id: number) => ctx.orm.em.fork().transactional(async (em) => void ((await em.findOneOrFail(Book, id)).title = 'Second'))],
      [
        'a flush outside a transaction',
        async (id: number) => {
          const em = ctx.orm.em.fork();
          (await em.findOneOrFail(Book, id)).title = 'Second';
          await em.flush();
        },
      ],
    ])('when the first commit is reported after the second (the second is %s)', (_name, secondWrite) => {
      it('holds the second until the first is published, when the first is a transaction', async () => {
        const id = await createBook();
        const firstFlushed = deferred();
        const releaseFirst = deferred();
        const reportFirst = deferred();
        const first = ctx.orm.em.fork().transactional(async (em) => {
          (await em.findOneOrFail(Book, id)).title = 'First';
          await em.flush();
          const trx = em.getTransactionContext();
          gates.push({ event: 'afterTransactionCommit', matches: (args) => args.transaction === trx, wait: () => reportFirst.promise });
          firstFlushed.resolve();
          await releaseFirst.promise;
        });
        await firstFlushed.promise;
        const second = secondWrite(id);
        await untilBlocked();
        releaseFirst.resolve();
        await second; // committed, and its commit reported, while the first's report is held back
        await settleQueue();
        expect(titlesOn(id)).toEqual([]);
        reportFirst.resolve();
        await first;
        expect(await publishedTitles(id)).toEqual(['First', 'Second']);
      });

      it('holds the second until the first is published, when the first is a flush outside a transaction', async () => {
        const id = await createBook();
        const em = ctx.orm.em.fork();
        (await em.findOneOrFail(Book, id)).title = 'First';
        const uow = em.getUnitOfWork();
        const firstLocked = deferred();
        const commitFirst = deferred();
        const reportFirst = deferred();
        gates.push(
          { event: 'beforeTransactionCommit', matches: (args) => args.uow === uow, wait: () => (firstLocked.resolve(), commitFirst.promise) },
          { event: 'afterTransactionCommit', matches: (args) => args.uow === uow, wait: () => reportFirst.promise },
        );
        const first = em.flush();
        await firstLocked.promise; // UPDATE done, row locked, COMMIT not sent
        const second = secondWrite(id);
        await untilBlocked();
        commitFirst.resolve();
        await second;
        await settleQueue();
        expect(titlesOn(id)).toEqual([]);
        reportFirst.resolve();
        await first;
        expect(await publishedTitles(id)).toEqual(['First', 'Second']);
      });
    });

    it('a first transaction reported as failed after its ticket releases the second', async () => {
      const id = await createBook();
      const firstFlushed = deferred();
      const releaseFirst = deferred();
      const first = ctx.orm.em.fork().transactional(async (em) => {
        (await em.findOneOrFail(Book, id)).title = 'First';
        await em.flush();
        // Its commit is reported as failed (a hook ahead of the listener throws after COMMIT, so
        // MikroORM rolls back): its ticket, taken before COMMIT, must not hold the second forever.
        const trx = em.getTransactionContext();
        gates.push({
          event: 'afterTransactionCommit',
          matches: (args) => args.transaction === trx,
          wait: async () => {
            throw new Error('first fails');
          },
        });
        firstFlushed.resolve();
        await releaseFirst.promise;
      });
      await firstFlushed.promise;
      const second = ctx.orm.em.fork().transactional(async (tx) => void ((await tx.findOneOrFail(Book, id)).title = 'Second'));
      await untilBlocked();
      releaseFirst.resolve();
      await expect(first).rejects.toThrow('first fails');
      await second;
      expect(await publishedTitles(id)).toEqual(['Second']);
    });
  });
});
