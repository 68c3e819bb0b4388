import { randomBytes } from 'crypto';
import Redis from 'ioredis';
import { MERCURE_LOCAL_HUB } from '../../lib/mercure.constants';
import type { LocalHub } from '../../lib/publisher/local-hub';
import { Update } from '../../lib/publisher/update';
import { describeWithRedis, REDIS_URL } from '../support/databases';
import { makeToken, NestHub, publishOk, request, SECRET, startNestHub, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

describeWithRedis('Redis transport: two app instances form one hub', () => {
  const prefix = `mercure_test_${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  let a: NestHub;
  let b: NestHub;

  const start = (extra: object = {}) =>
    startNestHub({
      publisherJwt: { key: SECRET },
      anonymous: true,
      subscriptions: true,
      transport: { type: 'redis', url: REDIS_URL, prefix },
      ...extra,
    });

  beforeAll(async () => {
    redis = new Redis(REDIS_URL!);
    a = await start();
    b = await start();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('delivers an update published on one instance to subscribers of both', async () => {
    const onA = await subscribe(subscribeUrl(a.hubUrl, [BOOK]));
    const onB = await subscribe(subscribeUrl(b.hubUrl, ['https://example.com/books/{id}']));
    const id = await publishOk(a.hubUrl, { topic: BOOK, data: 'from A', type: 't', retry: '7' });
    const expected = { kind: 'event', id, event: 't', retry: 7, data: 'from A' };
    expect(await onA.nextEvent()).toEqual(expected);
    expect(await onB.nextEvent()).toEqual(expected);
    const second = await publishOk(b.hubUrl, { topic: BOOK, data: 'from B' });
    expect((await onA.nextEvent()).id).toBe(second);
    expect((await onB.nextEvent()).id).toBe(second);
    onA.close();
    onB.close();
  });

  it('keeps the publication order across instances', async () => {
    const onB = await subscribe(subscribeUrl(b.hubUrl, ['urn:order']));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await publishOk(i % 2 ? a.hubUrl : b.hubUrl, { topic: 'urn:order', data: String(i) }));
    expect((await onB.events(20)).map((e) => e.id)).toEqual(ids);
    onB.close();
  });

  it('hands in-process updates to every instance, private ones to authorized subscribers only', async () => {
    const authorized = await subscribe(subscribeUrl(b.hubUrl, [BOOK]), {
      Authorization: `Bearer ${await makeToken({ subscribe: [BOOK] })}`,
    });
    const anonymous = await subscribe(subscribeUrl(b.hubUrl, [BOOK]));
    const local = a.app.get<LocalHub>(MERCURE_LOCAL_HUB);
    await local.publish(new Update(BOOK, 'secret', { private: true, id: 'urn:private' }));
    await local.publish(new Update(BOOK, 'public', { id: 'urn:public' }));
    expect((await authorized.events(2)).map((e) => e.id)).toEqual(['urn:private', 'urn:public']);
    expect((await anonymous.nextEvent()).id).toBe('urn:public');
    authorized.close();
    anonymous.close();
  });

  it('replays from any instance', async () => {
    const topic = 'https://example.com/replay/1';
    const first = await publishOk(a.hubUrl, { topic, data: '1' });
    const second = await publishOk(a.hubUrl, { topic, data: '2' });
    const third = await publishOk(b.hubUrl, { topic, data: '3' });
    const fromB = await subscribe(subscribeUrl(b.hubUrl, [topic]), { 'Last-Event-ID': first });
    expect(fromB.headers['last-event-id']).toBe(first);
    expect((await fromB.events(2)).map((e) => e.id)).toEqual([second, third]);
    const fromA = await subscribe(subscribeUrl(a.hubUrl, [topic]), { 'Last-Event-ID': 'earliest' });
    expect((await fromA.events(3)).map((e) => e.id)).toEqual([first, second, third]);
    const live = await publishOk(b.hubUrl, { topic, data: '4' });
    expect((await fromA.nextEvent()).id).toBe(live);
    expect((await fromB.nextEvent()).id).toBe(live);
    const unknown = await subscribe(subscribeUrl(a.hubUrl, [topic]), { 'Last-Event-ID': 'urn:nope' });
    expect(unknown.headers['last-event-id']).toBe('earliest');
    for (const s of [fromA, fromB, unknown]) s.close();
  });

  it('joins the replay and the live flow without gap nor duplicate', async () => {
    const topic = 'urn:gapless';
    const start = await publishOk(a.hubUrl, { topic, data: 'start' });
    const publishing = (async () => {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push(await publishOk(i % 2 ? a.hubUrl : b.hubUrl, { topic, data: String(i) }));
      return ids;
    })();
    const sse = await subscribe(subscribeUrl(b.hubUrl, [topic]), { 'Last-Event-ID': start });
    const ids = await publishing;
    expect((await sse.events(50)).map((e) => e.id)).toEqual(ids);
    sse.close();
  });

  it('replays from an id just published on the other instance (the instance catches up first)', async () => {
    const topic = 'urn:catch-up';
    for (let i = 0; i < 20; i++) {
      const just = await publishOk(a.hubUrl, { topic, data: `just ${i}` });
      const sse = await subscribe(subscribeUrl(b.hubUrl, [topic]), { 'Last-Event-ID': just });
      expect(sse.headers['last-event-id']).toBe(just);
      const next = await publishOk(a.hubUrl, { topic, data: `next ${i}` });
      expect((await sse.nextEvent()).id).toBe(next);
      sse.close();
    }
  });

  it('lists the subscriptions of every instance and sends their events everywhere', async () => {
    const selector = '/.well-known/mercure/subscriptions{/topic}{/subscriber}';
    const token = await makeToken({ subscribe: [selector] });
    const watcher = await subscribe(subscribeUrl(a.hubUrl, [selector]), { Authorization: `Bearer ${token}` });
    // Skips the events of earlier tests' subscribers (disconnections are announced asynchronously).
    const nextAbout = async (topic: string) => {
      for (;;) {
        const event = JSON.parse((await watcher.nextEvent()).data);
        if (event.topic === topic) return event;
      }
    };
    const onB = await subscribe(subscribeUrl(b.hubUrl, ['urn:on-b']));
    expect(await nextAbout('urn:on-b')).toMatchObject({ topic: 'urn:on-b', active: true });
    const list = await request(`${a.hubUrl}/subscriptions`, { headers: { Authorization: `Bearer ${token}` } });
    const topics = JSON.parse(list.body).subscriptions.map((s: { topic: string }) => s.topic);
    expect(topics).toEqual(expect.arrayContaining([selector, 'urn:on-b']));
    onB.close();
    expect(await nextAbout('urn:on-b')).toMatchObject({ topic: 'urn:on-b', active: false });
    watcher.close();
  });

  it('delivers a repeated id once, whichever instance the repeat reaches, one started since included', async () => {
    const sse = await subscribe(subscribeUrl(a.hubUrl, ['urn:repeat']));
    const first = await publishOk(a.hubUrl, { topic: 'urn:repeat', data: 'first', id: 'urn:repeat:1' });
    expect(await publishOk(b.hubUrl, { topic: 'urn:repeat', data: 'retry', id: 'urn:repeat:1' })).toBe(first);
    // A fresh instance has seen nothing: only Redis knows the id.
    const c = await start();
    expect(c.hub.stats().rememberedIds).toBe(0);
    expect(await publishOk(c.hubUrl, { topic: 'urn:repeat', data: 'retry', id: 'urn:repeat:1' })).toBe(first);
    await c.close();
    const last = await publishOk(b.hubUrl, { topic: 'urn:repeat', data: 'last' });
    // In order, so a repeat delivered would come before the last one.
    expect((await sse.events(2)).map((e) => [e.id, e.data])).toEqual([
      [first, 'first'],
      [last, 'last'],
    ]);
    sse.close();
  });

  it('a third instance started later replays the history and closes its connections on app.close()', async () => {
    const id = await publishOk(a.hubUrl, { topic: 'urn:late', data: 'before C' });
    const c = await start();
    const sse = await subscribe(subscribeUrl(c.hubUrl, ['urn:late']), { 'Last-Event-ID': 'earliest' });
    expect((await sse.nextEvent()).id).toBe(id);
    expect(c.hub.connectionCount).toBe(1);
    await c.close();
    await sse.ended;
    expect(sse.isClosed).toBe(true);
    // The others carry on.
    const onA = await subscribe(subscribeUrl(a.hubUrl, ['urn:late']));
    const next = await publishOk(b.hubUrl, { topic: 'urn:late', data: 'after C' });
    expect((await onA.nextEvent()).id).toBe(next);
    onA.close();
  });
});
