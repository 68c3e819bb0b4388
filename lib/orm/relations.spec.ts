import { EntityManager, ref } from '@mikro-orm/core';
import { Logger } from '@nestjs/common';
import { Book, Note, Notice, Post, Thread } from './__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext, type MercureTestContextOptions } from './__fixtures__/mercure-test-context';
import { describeWithPostgres, POSTGRES_URL, uniqueSchemaName } from '../../test/support/databases';

const data = (update: { data: string }) => JSON.parse(update.data);

/** Each database the specs run on: a fresh database (PostgreSQL: a schema of its own) per context. */
const databases: [string, typeof describe, () => MercureTestContextOptions][] = [
  ['SQLite', describe, () => ({})],
  // Skipped, and reported so, unless TEST_POSTGRES_URL is set.
  ['PostgreSQL', describeWithPostgres, () => ({ postgresUrl: POSTGRES_URL, schema: uniqueSchemaName('mercure_relations') })],
];

describe.each(databases)('on %s', (_database, describeOn, database) => {
  describeOn.each([
    ['memory', false],
    ['outbox', true],
  ] as const)('parents, operations and async functions (%s delivery)', (_mode, outbox) => {
    let ctx: MercureTestContext;
    beforeAll(async () => {
      ctx = await createMercureTestContext({ ...database(), outbox });
    });
    afterAll(() => ctx.close());
    beforeEach(() => ctx.reset());

    it('publishes a private parent privately, per its own options, with its collection as GET shows it', async () => {
      const thread = ctx.orm.em.fork().create(Thread, { owner: 'ann' });
      await ctx.orm.em.persist(thread).flush();
      await ctx.reset();
      // The thread is not loaded in this EntityManager: the post holds a bare reference.
      const em = ctx.orm.em.fork();
      const post = em.create(Post, { thread: em.getReference(Thread, thread.id), text: 'hi' });
      await em.flush();
      await ctx.drain();

      const [postUpdate, threadUpdate] = ctx.recorder.updates;
      // Async topic and id functions loaded the lazy thread through the context's EntityManager.
      expect(postUpdate.topics).toEqual([`${BASE_URL}/posts/${post.id}`, `${BASE_URL}/users/ann/posts`]);
      expect(postUpdate.id).toBe(`urn:post:${post.id}:create:ann`);
      expect(postUpdate.private).toBe(false);
      expect(threadUpdate).toMatchObject({ topics: [`${BASE_URL}/threads/${thread.id}`], private: true });
      expect(data(threadUpdate)).toEqual({ '@id': `/threads/${thread.id}`, '@type': 'Thread', id: thread.id, owner: 'ann', posts: [`/posts/${post.id}`] });
      expect(ctx.recorder.updates).toHaveLength(2);
    });

    it('publishes only the operations a resource chooses; an update that moves nothing publishes no parent', async () => {
      const em = ctx.orm.em.fork();
      const thread = em.create(Thread, { owner: 'bob' });
      const post = em.create(Post, { thread, text: 'v1' });
      await em.flush();
      await ctx.reset();
      post.text = 'v2';
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.updates).toEqual([]);

      const other = em.create(Thread, { owner: 'cy' });
      await em.flush();
      await ctx.reset();
      post.thread = ref(other); // a move: an update of the post (not published), both threads are
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.topics().sort()).toEqual([`${BASE_URL}/threads/${other.id}`, `${BASE_URL}/threads/${thread.id}`].sort());
      await ctx.reset();

      em.remove(post);
      await em.flush();
      await ctx.drain();
      const [deleted, parent] = ctx.recorder.updates;
      expect(deleted).toMatchObject({ id: `urn:post:${post.id}:delete:cy`, data: JSON.stringify({ '@id': `/posts/${post.id}`, '@type': 'Post' }) });
      expect(data(parent)).toMatchObject({ '@id': `/threads/${other.id}`, posts: [] });
      expect(ctx.recorder.updates).toHaveLength(2);
    });

    it.each([false, true])('logs and skips an update whose load fails, never failing the committed write (waitForDelivery: %s)', async (waitForDelivery) => {
      const local = waitForDelivery ? await createMercureTestContext({ ...database(), outbox, waitForDelivery }) : ctx;
      const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const findOne = EntityManager.prototype.findOne;
      const failing = jest.spyOn(EntityManager.prototype, 'findOne').mockImplementation(function (this: EntityManager, entityName: any, ...rest: any[]) {
        if (entityName === Thread) return Promise.reject(new Error('database unreachable'));
        return (findOne as any).call(this, entityName, ...rest);
      });
      try {
        const em = local.orm.em.fork();
        const thread = em.create(Thread, { owner: 'dee' });
        await em.flush();
        const post = em.create(Post, { thread: em.fork().getReference(Thread, thread.id), text: 'x' });
        await expect(em.flush()).resolves.toBeUndefined();
        failing.mockRestore();
        await local.drain();
        expect(await local.orm.em.fork().count(Post, { id: post.id })).toBe(1);
        expect(errors).toHaveBeenCalledWith(expect.stringContaining('Could not build the Mercure update of a Post (create): database unreachable'), expect.anything());
        expect(local.recorder.topics()).not.toContain(`${BASE_URL}/posts/${post.id}`);
      } finally {
        failing.mockRestore();
        errors.mockRestore();
        if (local !== ctx) await local.close();
      }
    });
  });

  describeOn('MercureResourcePublisher', () => {
    let ctx: MercureTestContext;
    beforeAll(async () => {
      ctx = await createMercureTestContext(database());
    });
    afterAll(() => ctx.close());
    beforeEach(() => ctx.reset());

    /** What the listener published for the last flush, and what the manual publisher publishes for the same change. */
    async function compare(entity: object, kind: 'create' | 'update' | 'delete', change: () => Promise<void>, recorder = ctx.recorder) {
      const manualBefore = kind === 'delete' ? await ctx.resourcePublisher.build(entity, kind) : undefined;
      await change();
      await ctx.drain();
      const byListener = recorder.updates.filter((u) => u.topics[0].endsWith(`/${(entity as { id: number }).id}`) || u.topics[0].endsWith('/cats'));
      const manual = manualBefore ?? (await ctx.resourcePublisher.build(entity, kind));
      return { byListener, manual };
    }

    it.each(['create', 'update', 'delete'] as const)('builds exactly the update the listener publishes (%s), every option included', async (kind) => {
      const em = ctx.orm.em.fork();
      const cases: [() => object, typeof ctx.recorder][] = [
        [() => em.create(Book, { title: 'Dune' }), ctx.recorder],
        [() => em.create(Note, { text: 'psst', reviewer: 'ann' }), ctx.auditRecorder],
        [() => em.create(Notice, { headline: 'Hi', published: true }), ctx.recorder],
      ];
      for (const [make, recorder] of cases) {
        const entity = make();
        if (kind !== 'create') {
          await em.flush();
          await ctx.reset();
        }
        const { byListener, manual } = await compare(entity, kind, async () => {
          if (kind === 'update') (entity as { id: number } & Record<string, unknown>)[entity instanceof Book ? 'title' : entity instanceof Note ? 'text' : 'headline'] = 'changed';
          if (kind === 'delete') em.remove(entity);
          await em.flush();
        }, recorder);
        expect(byListener).toHaveLength(1);
        expect(manual?.update).toEqual(byListener[0]);
        expect(manual?.hub).toBe(entity instanceof Note ? 'audit' : 'default');
        await ctx.reset();
      }
    });

    it('publishes it to the resource hub, and nothing for an operation the resource does not publish', async () => {
      const em = ctx.orm.em.fork();
      const note = em.create(Note, { text: 'psst' });
      const post = em.create(Post, { thread: em.create(Thread, { owner: 'ann' }), text: 'x' });
      await em.flush();
      await ctx.reset();
      await ctx.resourcePublisher.publish(note, 'update');
      expect(await ctx.resourcePublisher.build(post, 'update')).toBeUndefined();
      await ctx.drain();
      expect(ctx.auditRecorder.updates).toEqual([(await ctx.resourcePublisher.build(note, 'update'))!.update]);
      expect(ctx.recorder.updates).toEqual([]);
    });
  });
});
