import { TransactionPropagation } from '@mikro-orm/core';
import { Book, Review } from './entities';
import { BASE_URL, type MercureTestContext } from './mercure-test-context';

/**
 * Transaction behaviour of the listener, run against every database the specs use (libsql in
 * memory always, PostgreSQL when TEST_POSTGRES_URL is set).
 */
export function defineTransactionScenarios(
  getContext: () => MercureTestContext,
  { independentTransactions }: { independentTransactions: boolean },
): void {
  let ctx: MercureTestContext;
  beforeEach(async () => {
    ctx = getContext();
    await ctx.reset();
  });

  const published = async () => {
    await ctx.drain();
    return ctx.recorder.updates.map((update) => ({ topic: update.topics[0].slice(BASE_URL.length), data: JSON.parse(update.data) }));
  };
  const titles = async () => (await published()).map(({ topic, data }) => `${topic} ${data.title ?? '(deleted)'}`);

  it('publishes a committed transaction once it commits, not at its flushes', async () => {
    const book = await ctx.orm.em.fork().transactional(async (em) => {
      const created = em.create(Book, { title: 'Dune' });
      await em.flush();
      expect(await published()).toEqual([]);
      return created;
    });
    expect(await titles()).toEqual([`/books/${book.id} Dune`]);
  });

  it('publishes nothing for a rolled back transaction', async () => {
    await expect(
      ctx.orm.em.fork().transactional(async (em) => {
        em.create(Book, { title: 'Lost' });
        await em.flush();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await published()).toEqual([]);
  });

  it('publishes the final state of an entity flushed several times, once', async () => {
    const em = ctx.orm.em.fork();
    const book = await em.transactional(async (tx) => {
      const created = tx.create(Book, { title: 'Draft' });
      await tx.flush();
      created.title = 'Second';
      await tx.flush();
      created.title = 'Final';
      return created;
    });
    expect(await published()).toEqual([{ topic: `/books/${book.id}`, data: expect.objectContaining({ title: 'Final' }) }]);
    const stored = await ctx.orm.em.fork().findOneOrFail(Book, book.id, { populate: ['tags', 'reviews'] });
    expect(ctx.recorder.updates[0].data).toBe(JSON.stringify(await ctx.serializer.serialize(stored)));
  });

  it('publishes only the delete of an entity changed then deleted in one transaction', async () => {
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'Doomed' });
    await em.flush();
    await ctx.reset();
    const id = book.id;
    await em.transactional(async (tx) => {
      const managed = await tx.findOneOrFail(Book, id);
      managed.title = 'Changed';
      await tx.flush();
      tx.remove(managed);
    });
    expect(await published()).toEqual([{ topic: `/books/${id}`, data: { '@id': `/books/${id}`, '@type': 'Book' } }]);

    await em.fork().transactional(async (tx) => {
      const temp = tx.create(Book, { title: 'Ephemeral' });
      await tx.flush();
      tx.remove(temp);
    });
    expect((await published())[1].data).toEqual({ '@id': expect.stringMatching(/^\/books\/\d+$/), '@type': 'Book' });
  });

  it('supports em.begin() / em.commit() / em.rollback()', async () => {
    const em = ctx.orm.em.fork();
    await em.begin();
    const kept = em.create(Book, { title: 'Kept' });
    await em.flush();
    await em.commit();
    await em.begin();
    em.create(Book, { title: 'Dropped' });
    await em.flush();
    await em.rollback();
    expect(await titles()).toEqual([`/books/${kept.id} Kept`]);
  });

  it('publishes nothing when an inner transaction commits and the outer one rolls back', async () => {
    await expect(
      ctx.orm.em.fork().transactional(async (outer) => {
        outer.create(Book, { title: 'Outer' });
        await outer.flush();
        await outer.transactional(async (inner) => {
          inner.create(Book, { title: 'Inner' });
        });
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await published()).toEqual([]);
  });

  it("publishes only the outer changes when a caught inner savepoint rolls back", async () => {
    const em = ctx.orm.em.fork();
    const [before, after] = await em.transactional(async (outer) => {
      const first = outer.create(Book, { title: 'Before' });
      await outer.flush();
      await outer
        .transactional(async (inner) => {
          const changed = await inner.findOneOrFail(Book, first.id);
          changed.title = 'Changed inside';
          inner.create(Book, { title: 'Inner' });
          await inner.flush();
          throw new Error('inner fails');
        })
        .catch(() => undefined);
      const second = outer.create(Book, { title: 'After' });
      return [first, second];
    });
    expect(await titles()).toEqual([`/books/${before.id} Before`, `/books/${after.id} After`]);
    const rows = await ctx.orm.em.fork().find(Book, {}, { orderBy: { id: 'asc' } });
    expect(rows.map((row) => row.title)).toEqual(expect.arrayContaining(['Before', 'After']));
    expect(rows.map((row) => row.title)).not.toContain('Inner');
    expect(rows.map((row) => row.title)).not.toContain('Changed inside');
  });

  it('publishes what released savepoints changed, at the root commit, in first-change order', async () => {
    const em = ctx.orm.em.fork();
    const ids = await em.transactional(async (outer) => {
      const a = outer.create(Book, { title: 'A' });
      await outer.flush();
      const b = await outer.transactional(async (middle) => {
        const created = middle.create(Book, { title: 'B' });
        await middle.flush();
        await middle.transactional(async (inner) => {
          (await inner.findOneOrFail(Book, a.id)).title = 'A2';
          (await inner.findOneOrFail(Book, created.id)).title = 'B2';
        });
        return created;
      });
      expect(await published()).toEqual([]);
      return [a.id, b.id];
    });
    expect(await titles()).toEqual([`/books/${ids[0]} A2`, `/books/${ids[1]} B2`]);
  });

  // Only where a second connection exists (PostgreSQL): libsql in memory has one, so a
  // REQUIRES_NEW transaction would wait for the outer one forever. Not registered, rather than skipped.
  if (independentTransactions) it('publishes a REQUIRES_NEW transaction at its own commit, even if the outer one rolls back', async () => {
    let independentId = 0;
    await expect(
      ctx.orm.em.fork().transactional(async (outer) => {
        outer.create(Book, { title: 'Outer' });
        await outer.flush();
        await outer.transactional(
          async (inner) => {
            const book = inner.create(Book, { title: 'Independent' });
            await inner.flush();
            independentId = book.id;
          },
          { propagation: TransactionPropagation.REQUIRES_NEW },
        );
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await titles()).toEqual([`/books/${independentId} Independent`]);
  });

  it('publishes relations as IRIs once the related rows exist', async () => {
    const review = await ctx.orm.em.fork().transactional(async (em) => {
      const book = em.create(Book, { title: 'Emma' });
      return em.create(Review, { book, rating: 4 });
    });
    const data = (await published()).map(({ data }) => data);
    expect(data).toEqual([
      expect.objectContaining({ '@id': `/books/${review.book.id}` }),
      expect.objectContaining({ '@id': `/reviews/${review.id}`, book: `/books/${review.book.id}`, rating: 4 }),
    ]);
  });
}
