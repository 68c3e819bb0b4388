import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MikroORM } from '@mikro-orm/core';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { HubRegistry } from '../publisher/hub-registry';
import { HubDeliveryError, type PublishTransport } from '../publisher/publish-transport';
import { Update } from '../publisher/update';
import { IriConverter } from '../resource/iri-converter';
import { mercureResourceProviders } from '../resource/resource.providers';
import { Book, Cat, Dog, Note, Notice, Publisher, Tag } from './__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext } from './__fixtures__/mercure-test-context';
import { defineTransactionScenarios } from './__fixtures__/transaction-scenarios';
import { MercureFlushListener } from './mercure-flush.listener';

/** A transport that holds every update until `open()`, or fails them all. */
class GatedTransport implements PublishTransport {
  readonly sent: Update[] = [];
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  constructor(private readonly failure?: Error) {}
  async send(update: Update): Promise<string> {
    if (this.failure) {
      throw this.failure;
    }
    await this.gate;
    this.sent.push(update);
    return 'urn:uuid:gated';
  }
  open(): void {
    this.release();
  }
}

describe('MercureFlushListener (libsql)', () => {
  let ctx: MercureTestContext;
  beforeAll(async () => {
    ctx = await createMercureTestContext();
  });
  afterAll(() => ctx.close());
  beforeEach(() => ctx.reset());

  describe('flush outside a transaction', () => {
    it('publishes a create with the JSON-LD that GET returns, on the absolute IRI', async () => {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'Dune', secret: 'hidden' });
      await em.flush();
      const update = await ctx.recorder.waitFor((u) => u.topics[0] === `${BASE_URL}/books/${book.id}`);
      // A new entity's collections are initialized (empty), so GET must populate them to match.
      const fresh = await ctx.orm.em.fork().findOneOrFail(Book, book.id, { populate: ['tags', 'reviews'] });
      expect(update.data).toBe(JSON.stringify(await ctx.serializer.serialize(fresh)));
      expect(JSON.parse(update.data)).toMatchObject({ author: null, isbn: null, metadata: null, publisher: null, tags: [], reviews: [] });
      expect(update.data).not.toContain('hidden');
      expect(update.private).toBe(false);
    });

    it('publishes updates and deletes; a delete carries exactly @id and @type', async () => {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'One' });
      await em.flush();
      book.title = 'Two';
      await em.flush();
      const id = book.id;
      em.remove(book);
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.updates.map((u) => u.data)).toEqual([
        expect.stringContaining('"title":"One"'),
        expect.stringContaining('"title":"Two"'),
        `{"@id":"/books/${id}","@type":"Book"}`,
      ]);
      expect(new Set(ctx.recorder.topics())).toEqual(new Set([`${BASE_URL}/books/${id}`]));
    });

    it('publishes nothing for resources without mercure and for other entities', async () => {
      const em = ctx.orm.em.fork();
      em.create(Tag, { name: 'x' });
      em.create(Publisher, { name: 'y' });
      em.create(Notice, { headline: 'not yet', published: false });
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.updates).toEqual([]);
    });

    it('publishes the owner of a changed many-to-many collection', async () => {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'Tagged' });
      const tag = em.create(Tag, { name: 'new' });
      await em.flush();
      await ctx.reset();
      book.tags.add(tag);
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.updates).toHaveLength(1);
      expect(JSON.parse(ctx.recorder.updates[0].data)).toMatchObject({ '@id': `/books/${book.id}`, tags: [`/tags/${tag.id}`] });
    });

    it('routes to the resource hub with its options; STI children use their resource', async () => {
      const em = ctx.orm.em.fork();
      const note = em.create(Note, { text: 'psst', reviewer: 'ann' });
      const dog = em.create(Dog, { name: 'Rex', kind: 'dog' });
      const cat = em.create(Cat, { name: 'Tom', kind: 'cat' });
      await em.flush();
      await ctx.drain();
      expect(ctx.auditRecorder.updates).toHaveLength(1);
      expect(ctx.auditRecorder.updates[0]).toMatchObject({ private: true, type: 'note', retry: 2500, id: `urn:note:${note.id}` });
      expect(JSON.parse(ctx.auditRecorder.updates[0].data)).toEqual({ '@id': `/secret-notes/${note.id}`, '@type': 'Note', id: note.id, text: 'psst' });
      expect(ctx.recorder.topics()).toEqual([`${BASE_URL}/animals/${dog.id}`, `${BASE_URL}/cats`]);
      expect(JSON.parse(ctx.recorder.updates[1].data)).toMatchObject({ '@id': `/cats/${cat.id}`, '@type': 'Kitty' });
    });

    it('publishes a per-entity decision once it says yes', async () => {
      const em = ctx.orm.em.fork();
      const notice = em.create(Notice, { headline: 'Soon', published: false });
      await em.flush();
      notice.published = true;
      await em.flush();
      const update = await ctx.recorder.waitFor(() => true);
      expect(update.topics).toEqual([`${BASE_URL}/notices/${notice.id}`, `${BASE_URL}/notices`]);
      expect(JSON.parse(update.data)).toEqual({ headline: 'Soon', kind: 'update', iri: `/notices/${notice.id}` });
    });

    it('logs and skips an update that cannot be built, without failing the flush', async () => {
      const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      // Both ways the factory serializes: at once (collections loaded) or after loading them.
      const serialize = ctx.serializer.serializeResource.bind(ctx.serializer);
      const serializeLoaded = ctx.serializer.serializeLoadedResource.bind(ctx.serializer);
      const failOnBoom = (entity: object) => {
        if ((entity as Book).title === 'Boom') {
          throw new Error('serializer fails');
        }
      };
      const broken = jest.spyOn(ctx.serializer, 'serializeResource').mockImplementation((entity, ...rest) => {
        failOnBoom(entity);
        return serialize(entity, ...rest);
      });
      const brokenLoaded = jest.spyOn(ctx.serializer, 'serializeLoadedResource').mockImplementation((entity, ...rest) => {
        failOnBoom(entity);
        return serializeLoaded(entity, ...rest);
      });
      try {
        const em = ctx.orm.em.fork();
        em.create(Book, { title: 'Boom' });
        const book = em.create(Book, { title: 'Fine' });
        await expect(em.flush()).resolves.toBeUndefined();
        await ctx.drain();
        expect(ctx.recorder.topics()).toEqual([`${BASE_URL}/books/${book.id}`]);
        expect(errors).toHaveBeenCalledWith(
          expect.stringContaining('Could not build the Mercure update of a Book (create): serializer fails'),
          expect.anything(),
        );
      } finally {
        broken.mockRestore();
        brokenLoaded.mockRestore();
        errors.mockRestore();
      }
    });
  });

  describe('transactions', () => {
    // One in-memory connection: a REQUIRES_NEW transaction would wait for it forever.
    defineTransactionScenarios(() => ctx, { independentTransactions: false });
  });
});

describe('MercureFlushListener delivery modes', () => {
  const silenceQueueLogs = () => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

  it('by default, the flush does not wait for the hub, and hub failures never reach it', async () => {
    const gated = new GatedTransport();
    const ctx = await createMercureTestContext({ transport: gated });
    try {
      const em = ctx.orm.em.fork();
      em.create(Book, { title: 'Fast' });
      await em.flush();
      expect(gated.sent).toHaveLength(0);
      gated.open();
      await ctx.drain();
      expect(gated.sent).toHaveLength(1);
    } finally {
      await ctx.close();
    }

    const logs = silenceQueueLogs();
    const failing = await createMercureTestContext({ transport: new GatedTransport(new HubDeliveryError('hub down', false, 500)) });
    try {
      const em = failing.orm.em.fork();
      em.create(Book, { title: 'Still saved' });
      await expect(em.flush()).resolves.toBeUndefined();
      await expect(em.transactional(async (tx) => void tx.create(Book, { title: 'Also saved' }))).resolves.toBeUndefined();
      await failing.drain();
      expect(await failing.orm.em.fork().count(Book)).toBe(2);
    } finally {
      logs.mockRestore();
      await failing.close();
    }
  });

  it('by default, queues the updates right after the flush returns, in flush order; module shutdown queues what is left', async () => {
    const ctx = await createMercureTestContext();
    try {
      const hub = ctx.hubs.get();
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'First' });
      await em.flush();
      expect(hub.pending).toBe(0); // snapshotted, not yet encoded and queued
      book.title = 'Second';
      book.metadata = { formats: ['epub'] };
      await em.flush();
      book.title = 'Not flushed';
      book.metadata.formats!.push('not flushed either');
      await ctx.listener.whenQueued();
      await ctx.drain();
      expect(ctx.recorder.updates.map((u) => JSON.parse(u.data))).toEqual([
        expect.objectContaining({ title: 'First', metadata: null }),
        expect.objectContaining({ title: 'Second', metadata: { formats: ['epub'] } }),
      ]);

      const late = ctx.orm.em.fork();
      late.create(Book, { title: 'At shutdown' });
      await late.flush();
      ctx.listener.onModuleDestroy();
      expect(hub.pending).toBe(1);
    } finally {
      await ctx.close();
    }
  });

  it('a manual dispatch right after the flush does not overtake the flush\'s update on the same topic', async () => {
    const ctx = await createMercureTestContext();
    try {
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'From the flush' });
      await em.flush();
      ctx.hubs.get().dispatch(new Update(`${BASE_URL}/books/${book.id}`, 'by hand'));
      await ctx.drain();
      expect(ctx.recorder.updates.map((u) => u.data)).toEqual([expect.stringContaining('From the flush'), 'by hand']);
    } finally {
      await ctx.close();
    }
  });

  it('keeps publishing after onModuleDestroy (flushes in other destroy hooks), until application shutdown', async () => {
    const ctx = await createMercureTestContext();
    try {
      ctx.listener.onModuleDestroy();
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'In a destroy hook' });
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.topics()).toEqual([`${BASE_URL}/books/${book.id}`]);
      ctx.listener.onApplicationShutdown();
      book.title = 'After shutdown';
      await em.flush();
      await ctx.drain();
      expect(ctx.recorder.updates).toHaveLength(1);
    } finally {
      await ctx.close();
    }
  });

  it('with waitForDelivery, the flush and the commit resolve once the hub accepted the updates', async () => {
    const ctx = await createMercureTestContext({ waitForDelivery: true });
    try {
      const em = ctx.orm.em.fork();
      em.create(Book, { title: 'Waited' });
      await em.flush();
      expect(ctx.recorder.updates).toHaveLength(1);
      await em.transactional(async (tx) => {
        tx.create(Book, { title: 'Waited too' });
        await tx.flush();
        expect(ctx.recorder.updates).toHaveLength(1);
      });
      expect(ctx.recorder.updates).toHaveLength(2);
    } finally {
      await ctx.close();
    }
  });

  it('with waitForDelivery, a delivery failure rejects the flush (the data is committed)', async () => {
    const logs = silenceQueueLogs();
    const ctx = await createMercureTestContext({ waitForDelivery: true, transport: new GatedTransport(new HubDeliveryError('hub down', false, 500)) });
    try {
      const em = ctx.orm.em.fork();
      em.create(Book, { title: 'Committed anyway' });
      await expect(em.flush()).rejects.toThrow('hub down');
      await expect(em.fork().transactional(async (tx) => void tx.create(Book, { title: 'Too' }))).rejects.toThrow('hub down');
      expect(await ctx.orm.em.fork().count(Book)).toBe(2);
    } finally {
      logs.mockRestore();
      await ctx.close();
    }
  });
});

describe('MercureFlushListener dependency injection', () => {
  it('is constructed by Nest from the providers the module gives it', async () => {
    const ctx = await createMercureTestContext({ withoutListener: true });
    try {
      const moduleRef = await Test.createTestingModule({
        providers: [
          { provide: MikroORM, useValue: ctx.orm },
          { provide: HubRegistry, useValue: ctx.hubs },
          { provide: MERCURE_RESOLVED_OPTIONS, useValue: { baseUrl: BASE_URL, delivery: { waitForDelivery: false } } },
          ...mercureResourceProviders,
        ],
      }).compile();
      await moduleRef.init();
      const em = ctx.orm.em.fork();
      const book = em.create(Book, { title: 'Injected' });
      await em.flush();
      await moduleRef.get(MercureFlushListener).whenQueued();
      await ctx.drain();
      expect(ctx.recorder.topics()).toEqual([`${BASE_URL}/books/${book.id}`]);
      expect(moduleRef.get(IriConverter).getResourceFromIri(`${BASE_URL}/books/${book.id}`)?.id).toBe(book.id);
      await moduleRef.close();
    } finally {
      await ctx.close();
    }
  });
});
