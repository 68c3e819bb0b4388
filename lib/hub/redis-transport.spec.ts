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
});
