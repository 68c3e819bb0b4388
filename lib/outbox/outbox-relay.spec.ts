import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FakeHub, field, startFakeHub } from '../../test/support/fake-hub';
import { POSTGRES_URL, describeWithPostgres, uniqueSchemaName } from '../../test/support/databases';
import { Book } from '../orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext, type MercureTestContextOptions } from '../orm/__fixtures__/mercure-test-context';
import { HttpTransport } from '../publisher/http-transport';
import { OutboxStore } from './outbox-store';

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** The relay against a real HTTP hub, on a SQLite file and on PostgreSQL. */
function defineRelaySpecs(database: () => MercureTestContextOptions): void {
  let hub: FakeHub;
  let ctx: MercureTestContext;
  let logs: { level: string; message: string }[];
  let spies: jest.SpyInstance[];

  const start = async (overrides: MercureTestContextOptions = {}) => {
    ctx = await createMercureTestContext({ ...database(), outbox: true, transport: new HttpTransport({ url: hub.url }), ...overrides });
  };
  const titlesOn = (topicSuffix: string) =>
    hub.requests.filter((r) => field(r, 'topic')[0].endsWith(topicSuffix)).map((r) => JSON.parse(field(r, 'data')[0]).title);

  beforeEach(async () => {
    hub = await startFakeHub();
    logs = [];
    spies = (['log', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logs.push({ level, message: String(args[0]) })),
    );
  });
  afterEach(async () => {
    await ctx?.close();
    await hub.close();
    spies.forEach((spy) => spy.mockRestore());
  });

  it('keeps a refused row aside without blocking the rows behind it, and can retry it', async () => {
    hub.handler = (request, response) => {
      const bad = field(request, 'data')[0].includes('"Bad"');
      response.writeHead(bad ? 400 : 200, { 'content-type': 'text/plain' });
      response.end(bad ? 'Invalid update' : field(request, 'id')[0]);
    };
    await start();
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'Good' });
    await em.flush();
    book.title = 'Bad';
    await em.flush();
    book.title = 'After';
    await em.flush();
    await ctx.drain();

    expect(titlesOn(`/books/${book.id}`)).toEqual(['Good', 'Bad', 'After']);
    const [failed] = await ctx.outbox.failed();
    expect(failed).toMatchObject({ topics: [expect.stringContaining(`/books/${book.id}`)], lastError: expect.stringContaining('400') });
    expect(await ctx.outbox.stats()).toMatchObject({ pending: 0, failed: 1 });
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(logs.find((l) => l.level === 'error')!.message).toContain('MercureOutbox.failed()');

    hub.handler = (request, response) => {
      response.writeHead(200);
      response.end(field(request, 'id')[0]);
    };
    expect(await ctx.outbox.retryFailed([failed.id])).toBe(1);
    await ctx.drain();
    expect(titlesOn(`/books/${book.id}`)).toEqual(['Good', 'Bad', 'After', 'Bad']);
    // The retry is recognisably the same update.
    const ids = hub.requests.filter((r) => field(r, 'data')[0].includes('"Bad"')).map((r) => field(r, 'id')[0]);
    expect(new Set(ids).size).toBe(1);
    expect(await ctx.outbox.stats()).toMatchObject({ pending: 0, failed: 0 });
    await ctx.outbox.retryFailed(); // nothing left: a no-op
    expect(await ctx.outbox.discardFailed()).toBe(0);
  });

  it('retries through an outage in order, with the same id on every attempt, and says when the hub is back', async () => {
    let down = true;
    hub.handler = (request, response) => {
      response.writeHead(down ? 503 : 200);
      response.end(down ? 'maintenance' : field(request, 'id')[0]);
    };
    await start({ outboxOptions: { alertAfter: 300 } });
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'v1' });
    await em.flush();
    for (const title of ['v2', 'v3']) {
      book.title = title;
      await em.flush();
    }
    await until(() => logs.some((l) => l.level === 'warn' && l.message.includes('has been failing')));
    expect(await ctx.outbox.stats()).toMatchObject({ pending: 3 });
    down = false;
    await ctx.drain();

    const accepted = hub.requests;
    const firstAttempts = new Map<string, string>();
    for (const request of accepted) {
      const title = JSON.parse(field(request, 'data')[0]).title;
      const id = field(request, 'id')[0];
      expect(firstAttempts.get(title) ?? id).toBe(id);
      firstAttempts.set(title, id);
    }
    // Each row waits for the previous one of its topic: the attempts never overtake.
    const titles = titlesOn(`/books/${book.id}`);
    expect(titles.filter((t, i) => t !== titles[i - 1])).toEqual(['v1', 'v2', 'v3']);
    expect(logs.some((l) => l.level === 'log' && l.message.includes('accepts updates again'))).toBe(true);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(await ctx.outbox.stats()).toMatchObject({ pending: 0, failed: 0, oldestAgeMs: 0 });
  });

  it('delivers the rows a crashed instance had claimed once its lease expires', async () => {
    await start({ outboxOptions: { leaseDuration: 400 } });
    await ctx.outbox.beforeApplicationShutdown(); // this relay stops; the rows stay
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'Orphan' });
    await em.flush();
    const store = new OutboxStore(ctx.orm);
    // Another process claims the row and dies without delivering it.
    const claimed = await store.claim('crashed-instance', Date.now(), Date.now() + 400, 10);
    expect(claimed).toHaveLength(1);

    // A new start (same code path as a restarted process: table check, then the relay).
    await ctx.outbox.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hub.requests).toHaveLength(0); // the lease still holds
    await until(() => hub.requests.length === 1);
    expect(titlesOn(`/books/${book.id}`)).toEqual(['Orphan']);
    expect(field(hub.requests[0], 'id')[0]).toBe(claimed[0].updateId);
  });

  it('holds a row it wrote behind an earlier row of its topic that another relay holds', async () => {
    await start();
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'v1' });
    await em.flush();
    await ctx.drain();
    const topic = hub.requests[0] && field(hub.requests[0], 'topic')[0];
    const store = new OutboxStore(ctx.orm);
    // Another instance wrote an update of this book just before and is still delivering it.
    const connection = ctx.orm.em.getConnection() as unknown as { transactional<T>(cb: (trx: unknown) => Promise<T>): Promise<T> };
    const [theirs] = await connection.transactional((trx) =>
      store.insert(
        [{ hub: 'default', topics: [topic], data: '{"title":"theirs"}', private: false, updateId: 'urn:uuid:theirs', orderingKey: topic, createdAt: Date.now() }],
        trx,
        { owner: 'other-instance', until: Date.now() + 60_000 },
      ),
    );
    book.title = 'v2';
    await em.flush();
    await new Promise((resolve) => setTimeout(resolve, 500)); // adopted, checked, swept twice
    expect(titlesOn(`/books/${book.id}`)).toEqual(['v1']);
    expect(await ctx.outbox.stats()).toMatchObject({ pending: 2 });

    await store.delete([theirs.id]); // the other instance delivered it
    await until(() => titlesOn(`/books/${book.id}`).length === 2);
    expect(titlesOn(`/books/${book.id}`)).toEqual(['v1', 'v2']);
  });

  it('never leases rows of one topic to two relays at once', async () => {
    await start();
    await ctx.outbox.beforeApplicationShutdown();
    const em = ctx.orm.em.fork();
    const a = em.create(Book, { title: 'a1' });
    const b = em.create(Book, { title: 'b1' });
    await em.flush();
    a.title = 'a2';
    await em.flush();
    const store = new OutboxStore(ctx.orm);
    const now = Date.now();
    const first = await store.claim('relay-1', now, now + 60_000, 1);
    const second = await store.claim('relay-2', now, now + 60_000, 10);
    expect(first.map((row) => row.orderingKey)).toEqual([expect.stringContaining(`/books/${a.id}`)]);
    // a2 waits for relay-1's a1; b1 is free.
    expect(second.map((row) => row.orderingKey)).toEqual([expect.stringContaining(`/books/${b.id}`)]);
    await store.delete(first.map((row) => row.id));
    const third = await store.claim('relay-2', Date.now(), Date.now() + 60_000, 10);
    expect(third.map((row) => JSON.parse(row.data).title)).toEqual(['a2']);
  });
}

describe('OutboxRelay (SQLite file)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mercure-relay-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  defineRelaySpecs(() => ({ ormOptions: { dbName: join(dir, `db-${++n}.sqlite`) } }));
});

describeWithPostgres('OutboxRelay (PostgreSQL)', () => {
  const schema = uniqueSchemaName();
  defineRelaySpecs(() => ({ postgresUrl: POSTGRES_URL, schema }));
});
