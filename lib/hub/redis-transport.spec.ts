import { randomBytes } from 'crypto';
import Redis from 'ioredis';
import { describeWithRedis, REDIS_URL } from '../../test/support/databases';
import { EARLIEST } from './hub-transport';
import type { HubUpdate } from './hub-update';
import { compareEntryIds, RedisHubTransport } from './redis-transport';

describe('compareEntryIds', () => {
  it('orders by time, then sequence, numerically', () => {
    expect(compareEntryIds('2-0', '10-0')).toBeLessThan(0);
    expect(compareEntryIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareEntryIds('10-10', '10-10')).toBe(0);
    expect(compareEntryIds('11-0', '10-99')).toBeGreaterThan(0);
  });
});

describe('RedisHubTransport options', () => {
  it('refuses an idTtl that is not a whole number of seconds', () => {
    for (const idTtl of [-1, 1.5, NaN]) {
      expect(() => new RedisHubTransport({ url: 'redis://127.0.0.1:6379', idTtl })).toThrow('transport.idTtl must be a non-negative integer');
    }
  });
});

describeWithRedis('RedisHubTransport', () => {
  const prefix = `mercure_unit_${randomBytes(4).toString('hex')}:`;
  const update = (id: string, extra: Partial<HubUpdate> = {}): HubUpdate => ({ id, topics: ['/t', '/u'], data: `d ${id}\nline`, private: false, ...extra });
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL!);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('carries every field between two instances, in order, and replays', async () => {
    const a = new RedisHubTransport({ url: REDIS_URL, prefix });
    const b = new RedisHubTransport({ url: REDIS_URL, prefix, historySize: 10 });
    const seen: HubUpdate[] = [];
    await a.start(() => undefined);
    await b.start((u) => seen.push(u));
    try {
      const first = update('urn:1', { private: true, type: 'event', retry: 10 });
      await a.dispatch(first);
      await a.dispatch(update('urn:2'));
      await b.catchUp();
      expect(seen).toEqual([first, update('urn:2')]);
      expect(b.lastEventId()).toBe('urn:2');
      expect(await b.history('urn:1', b.cursor())).toEqual({ updates: [update('urn:2')], precedingId: 'urn:1' });
      expect((await b.history(EARLIEST, b.cursor())).updates.map((u) => u.id)).toEqual(['urn:1', 'urn:2']);
      expect(await b.history('urn:unknown', b.cursor())).toEqual({ updates: [], precedingId: EARLIEST });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('catchUp resolves once everything stored has been delivered', async () => {
    const a = new RedisHubTransport({ url: REDIS_URL, prefix });
    const b = new RedisHubTransport({ url: REDIS_URL, prefix });
    await a.start(() => undefined);
    await b.start(() => undefined);
    try {
      for (let i = 0; i < 50; i++) {
        await a.dispatch(update(`urn:catch-${i}`));
        await b.catchUp();
        expect(b.lastEventId()).toBe(`urn:catch-${i}`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps at most historySize updates for replay', async () => {
    const p = `${prefix}small:`;
    const t = new RedisHubTransport({ url: REDIS_URL, prefix: p, historySize: 3 });
    await t.start(() => undefined);
    try {
      for (let i = 0; i < 6; i++) await t.dispatch(update(`urn:h${i}`));
      await t.catchUp();
      expect((await t.history(EARLIEST, t.cursor())).updates.map((u) => u.id)).toEqual(['urn:h3', 'urn:h4', 'urn:h5']);
      expect(await t.history('urn:h1', t.cursor())).toEqual({ updates: [], precedingId: EARLIEST });
    } finally {
      await t.close();
    }
  });

  it('appends a repeated id once while it is known (idTtl), and again with idTtl 0', async () => {
    const a = new RedisHubTransport({ url: REDIS_URL, prefix });
    const b = new RedisHubTransport({ url: REDIS_URL, prefix });
    const plain = new RedisHubTransport({ url: REDIS_URL, prefix: `${prefix}plain:`, idTtl: 0 });
    await Promise.all([a, b, plain].map((t) => t.start(() => undefined)));
    try {
      expect(await a.dispatch(update('urn:once'))).toBeUndefined();
      expect(await b.dispatch(update('urn:once'))).toBe(false);
      const ttl = await redis.ttl(`${prefix}id:urn:once`);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
      const stored = await redis.xrange(`${prefix}updates`, '-', '+');
      expect(stored.filter(([, fields]) => fields[1] === 'urn:once')).toHaveLength(1);
      await plain.dispatch(update('urn:twice'));
      await plain.dispatch(update('urn:twice'));
      expect(await redis.xlen(`${prefix}plain:updates`)).toBe(2);
    } finally {
      await Promise.all([a, b, plain].map((t) => t.close()));
    }
  });

  it('leaves the id free when the append fails, so that the retry is appended', async () => {
    const p = `${prefix}failed:`;
    const t = new RedisHubTransport({ url: REDIS_URL, prefix: p });
    await t.start(() => undefined);
    try {
      await redis.set(`${p}updates`, 'not a stream'); // any XADD error after the id was checked
      await expect(t.dispatch(update('urn:retried'))).rejects.toThrow('WRONGTYPE');
      await redis.del(`${p}updates`);
      expect(await t.dispatch(update('urn:retried'))).toBeUndefined();
      expect(await redis.xlen(`${p}updates`)).toBe(1);
      expect(await t.dispatch(update('urn:retried'))).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('sends the append script by its SHA (EVALSHA), not its text on every publish', async () => {
    const p = `${prefix}sha:`;
    const t = new RedisHubTransport({ url: REDIS_URL, prefix: p });
    const monitor = await redis.monitor(); // a connection of its own
    const seen: string[] = [];
    let marked!: () => void;
    const marker = new Promise<void>((resolve) => (marked = resolve));
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.includes(`${p}updates`)) seen.push(args[0].toLowerCase());
      if (args.includes(`${p}marker`)) marked();
    });
    await t.start(() => undefined);
    try {
      for (let i = 0; i < 3; i++) await t.dispatch(update(`urn:sha-${i}`));
      await redis.get(`${p}marker`); // MONITOR shows commands in order: every publish seen before it
      await marker;
      expect(seen.filter((command) => command.startsWith('eval')).slice(-2)).toEqual(['evalsha', 'evalsha']);
    } finally {
      monitor.disconnect();
      await t.close();
    }
  });
});
