import { encodeTemplateValue } from '../../lib/hub/mercure-hub';
import { makeToken, NestHub, publishOk, request, SECRET, startNestHub, subscribeUrl } from './helpers';
import { SseConnection, subscribe } from './sse-client';

const EVENTS_SELECTOR = '/.well-known/mercure/subscriptions{/topic}{/subscriber}';
const BOOK = 'https://example.com/books/{id}';
const REVIEW = 'https://example.com/reviews/1';

describe('Active subscriptions: events and API', () => {
  let h: NestHub;
  let watcher: SseConnection;
  let watcherToken: string;

  beforeAll(async () => {
    h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true, subscriptions: true });
    watcherToken = await makeToken({ subscribe: [EVENTS_SELECTOR] });
    watcher = await subscribe(subscribeUrl(h.hubUrl, [EVENTS_SELECTOR]), { Authorization: `Bearer ${watcherToken}` });
    // The watcher's own subscription event.
    const own = JSON.parse((await watcher.nextEvent()).data);
    expect(own).toMatchObject({ type: 'Subscription', topic: EVENTS_SELECTOR, active: true });
  });
  afterAll(async () => {
    watcher.close();
    await h.close();
  });

  it('publishes a private event per subscription when a subscriber connects and disconnects', async () => {
    const token = await makeToken({ subscribe: [], payload: { user: 'https://example.com/users/dunglas' } });
    const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK, REVIEW]), { Authorization: `Bearer ${token}` });
    const connected = (await watcher.events(2)).map((e) => JSON.parse(e.data));
    const subscriber = connected[0].subscriber as string;
    expect(subscriber).toMatch(/^urn:uuid:/);
    expect(connected).toEqual(
      [BOOK, REVIEW].map((topic) => ({
        '@context': 'https://mercure.rocks/',
        id: `/.well-known/mercure/subscriptions/${encodeTemplateValue(topic)}/${encodeTemplateValue(subscriber)}`,
        type: 'Subscription',
        topic,
        subscriber,
        active: true,
        payload: { user: 'https://example.com/users/dunglas' },
      })),
    );
    expect(connected[0].id).toBe(
      `/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2Fbooks%2F%7Bid%7D/${encodeURIComponent(subscriber)}`,
    );

    sse.close();
    const disconnected = (await watcher.events(2)).map((e) => JSON.parse(e.data));
    expect(disconnected.map((d) => [d.topic, d.subscriber, d.active])).toEqual([
      [BOOK, subscriber, false],
      [REVIEW, subscriber, false],
    ]);
  });

  it('does not send subscription events to anonymous subscribers', async () => {
    const anonymous = await subscribe(subscribeUrl(h.hubUrl, [EVENTS_SELECTOR, 'urn:marker']));
    await watcher.nextEvent(); // the anonymous subscriber's own events, seen by the watcher
    await watcher.nextEvent();
    const other = await subscribe(subscribeUrl(h.hubUrl, [REVIEW]));
    await watcher.nextEvent();
    await publishOk(h.hubUrl, { topic: 'urn:marker', data: 'marker' });
    expect((await anonymous.nextEvent()).data).toBe('marker');
    other.close();
    anonymous.close();
    await watcher.events(3); // their disconnections
  });

  describe('the subscriptions API', () => {
    let sse: SseConnection;
    let subscriber: string;
    const auth = () => ({ Authorization: `Bearer ${watcherToken}` });

    beforeAll(async () => {
      sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK, REVIEW]), {
        Authorization: `Bearer ${await makeToken({ payload: { n: 1 } })}`,
      });
      const events = (await watcher.events(2)).map((e) => JSON.parse(e.data));
      subscriber = events[0].subscriber;
    });
    afterAll(async () => {
      sse.close();
      await watcher.events(2);
    });

    it('lists every active subscription', async () => {
      const last = await publishOk(h.hubUrl, { topic: 'urn:x' });
      const result = await request(`${h.hubUrl}/subscriptions`, { headers: auth() });
      expect(result.status).toBe(200);
      expect(result.headers['content-type']).toBe('application/ld+json');
      const body = JSON.parse(result.body);
      expect(body).toMatchObject({
        '@context': 'https://mercure.rocks/',
        id: '/.well-known/mercure/subscriptions',
        type: 'Subscriptions',
        lastEventID: last,
      });
      const mine = body.subscriptions.filter((s: { subscriber: string }) => s.subscriber === subscriber);
      expect(mine).toEqual([
        {
          id: `/.well-known/mercure/subscriptions/${encodeTemplateValue(BOOK)}/${encodeTemplateValue(subscriber)}`,
          type: 'Subscription',
          topic: BOOK,
          subscriber,
          active: true,
          payload: { n: 1 },
        },
        expect.objectContaining({ topic: REVIEW, subscriber }),
      ]);
      expect(body.subscriptions.some((s: { topic: string }) => s.topic === EVENTS_SELECTOR)).toBe(true);
    });

    it('lists the subscriptions of one topic selector', async () => {
      const path = `/.well-known/mercure/subscriptions/${encodeTemplateValue(BOOK)}`;
      const result = await request(`${h.baseUrl}${path}`, { headers: auth() });
      expect(result.status).toBe(200);
      const body = JSON.parse(result.body);
      expect(body.id).toBe(path);
      expect(body.type).toBe('Subscriptions');
      expect(body.subscriptions).toEqual([expect.objectContaining({ topic: BOOK, subscriber })]);
    });

    it('returns one subscription, and 404 for an unknown one', async () => {
      const path = `/.well-known/mercure/subscriptions/${encodeTemplateValue(REVIEW)}/${encodeTemplateValue(subscriber)}`;
      const result = await request(`${h.baseUrl}${path}`, { headers: auth() });
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body)).toEqual({
        '@context': 'https://mercure.rocks/',
        id: path,
        type: 'Subscription',
        topic: REVIEW,
        subscriber,
        active: true,
        payload: { n: 1 },
        lastEventID: expect.any(String),
      });
      const unknown = await request(`${h.baseUrl}/.well-known/mercure/subscriptions/${encodeTemplateValue(REVIEW)}/urn%3Auuid%3Anope`, {
        headers: auth(),
      });
      expect(unknown.status).toBe(404);
    });

    it('answers 401 without a token, or when mercure.subscribe does not match the URL', async () => {
      expect((await request(`${h.hubUrl}/subscriptions`)).status).toBe(401);
      const other = await makeToken({ subscribe: ['https://example.com/books/{id}'] });
      expect((await request(`${h.hubUrl}/subscriptions`, { headers: { Authorization: `Bearer ${other}` } })).status).toBe(401);
      const exact = await makeToken({ subscribe: ['/.well-known/mercure/subscriptions'] });
      expect((await request(`${h.hubUrl}/subscriptions`, { headers: { Authorization: `Bearer ${exact}` } })).status).toBe(200);
      const path = `${h.hubUrl}/subscriptions/${encodeTemplateValue(BOOK)}`;
      expect((await request(path, { headers: { Authorization: `Bearer ${exact}` } })).status).toBe(401);
    });
  });
});

describe('Active subscriptions disabled (the default)', () => {
  it('publishes no subscription events and has no API', async () => {
    const h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true });
    try {
      const token = await makeToken({ subscribe: ['*'] });
      const watcher = await subscribe(subscribeUrl(h.hubUrl, [EVENTS_SELECTOR, 'urn:marker']), { Authorization: `Bearer ${token}` });
      const other = await subscribe(subscribeUrl(h.hubUrl, [REVIEW]));
      await publishOk(h.hubUrl, { topic: 'urn:marker', data: 'marker' });
      expect((await watcher.nextEvent()).data).toBe('marker');
      expect((await request(`${h.hubUrl}/subscriptions`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
      other.close();
      watcher.close();
    } finally {
      await h.close();
    }
  });
});
