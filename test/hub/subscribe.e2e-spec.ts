import { makeToken, NestHub, publishOk, request, SECRET, startNestHub, subscribeUrl, unsignedToken } from './helpers';
import { openSse, SseConnection, subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

/** Publishes a marker on `urn:marker` and returns the data of the next event `sse` receives. */
async function nextAfterMarker(hubUrl: string, sse: SseConnection): Promise<string> {
  await publishOk(hubUrl, { topic: 'urn:marker', data: 'marker' });
  return (await sse.nextEvent()).data;
}

describe('Subscribing (Nest app, real SSE connections)', () => {
  let h: NestHub;
  const open: SseConnection[] = [];
  const sub = async (topics: string[], headers: Record<string, string> = {}, extra: Record<string, string> = {}) => {
    const sse = await subscribe(subscribeUrl(h.hubUrl, [...topics, 'urn:marker'], extra), headers);
    open.push(sse);
    return sse;
  };

  beforeAll(async () => {
    h = await startNestHub({
      publisherJwt: { key: SECRET },
      anonymous: true,
      cors: { origins: ['https://app.example.com'] },
    });
  });
  afterEach(() => {
    for (const sse of open.splice(0)) sse.close();
  });
  afterAll(() => h.close());

  describe('the stream', () => {
    it('answers 400 without a topic parameter', async () => {
      const result = await request(h.hubUrl);
      expect(result.status).toBe(400);
      expect(result.body).toMatch(/topic/);
    });

    it('sends the spec headers and an opening comment', async () => {
      const sse = await openSse(subscribeUrl(h.hubUrl, [BOOK]));
      if (!(sse instanceof SseConnection)) throw new Error(`status ${sse.status}`);
      open.push(sse);
      expect(sse.headers['content-type']).toBe('text/event-stream');
      expect(sse.headers['cache-control']).toBe('private, no-cache, no-store, must-revalidate, max-age=0');
      expect(sse.headers['x-accel-buffering']).toBe('no');
      expect(sse.headers['last-event-id']).toBeDefined();
      expect(await sse.next()).toEqual({ kind: 'comment', text: '' });
    });

    it('sends event, retry and id fields and one data line per line', async () => {
      const sse = await sub([BOOK]);
      await publishOk(h.hubUrl, { topic: BOOK, data: 'line 1\nline 2\r\nline 3', id: 'urn:e1', type: 'update', retry: '100' });
      expect(await sse.nextEvent()).toEqual({ kind: 'event', id: 'urn:e1', event: 'update', retry: 100, data: 'line 1\nline 2\nline 3' });
      expect(sse.raw).toContain('event: update\nretry: 100\nid: urn:e1\ndata: line 1\ndata: line 2\ndata: line 3\n\n');
    });
  });

  describe('topic matching', () => {
    it('delivers updates of an exact topic, and not of others', async () => {
      const sse = await sub([BOOK]);
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/2', data: 'other book' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/10', data: 'prefix is not a match' });
      await publishOk(h.hubUrl, { topic: BOOK, data: 'mine' });
      expect((await sse.nextEvent()).data).toBe('mine');
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('accepts several topic parameters', async () => {
      const sse = await sub([BOOK, 'https://example.com/reviews/7']);
      await publishOk(h.hubUrl, { topic: 'https://example.com/reviews/7', data: 'review' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/reviews/8', data: 'not mine' });
      await publishOk(h.hubUrl, { topic: BOOK, data: 'book' });
      expect((await sse.events(2)).map((e) => e.data)).toEqual(['review', 'book']);
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('matches URI templates', async () => {
      const sse = await sub(['https://example.com/books/{id}']);
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/42', data: '42' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/42/reviews', data: 'too deep' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/reviews/42', data: 'wrong collection' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/%C3%A9t%C3%A9', data: 'encoded' });
      expect((await sse.events(2)).map((e) => e.data)).toEqual(['42', 'encoded']);
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('matches several selectors (exact and templates) and sends a matching update once', async () => {
      const sse = await sub([BOOK, 'https://example.com/books/{id}', '*']);
      await publishOk(h.hubUrl, { topic: BOOK, data: 'once' });
      expect((await sse.nextEvent()).data).toBe('once');
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('delivers on alternate topics too', async () => {
      const sse = await sub(['https://example.com/authors/{id}']);
      await publishOk(h.hubUrl, { topic: [BOOK, 'https://example.com/authors/3'], data: 'via alternate' });
      expect((await sse.nextEvent()).data).toBe('via alternate');
    });

    it('delivers everything to *', async () => {
      const sse = await sub(['*']);
      await publishOk(h.hubUrl, { topic: 'urn:anything', data: 'a' });
      await publishOk(h.hubUrl, { topic: 'relative/topic', data: 'b' });
      expect((await sse.events(2)).map((e) => e.data)).toEqual(['a', 'b']);
    });

    it('serves many subscribers with different selectors', async () => {
      const exact = await sub([BOOK]);
      const template = await sub(['https://example.com/books/{id}']);
      const other = await sub(['https://example.com/reviews/{id}']);
      await publishOk(h.hubUrl, { topic: BOOK, data: 'book 1' });
      expect((await exact.nextEvent()).data).toBe('book 1');
      expect((await template.nextEvent()).data).toBe('book 1');
      expect(await nextAfterMarker(h.hubUrl, other)).toBe('marker');
    });
  });

  describe('private updates', () => {
    const privateUpdate = { topic: BOOK, data: 'secret', private: 'on' };

    it('are not sent to anonymous subscribers', async () => {
      const sse = await sub([BOOK]);
      await publishOk(h.hubUrl, privateUpdate);
      await publishOk(h.hubUrl, { topic: BOOK, data: 'public' });
      expect((await sse.nextEvent()).data).toBe('public');
    });

    it('reach a subscriber authorized by the Authorization header', async () => {
      const sse = await sub([BOOK], { Authorization: `Bearer ${await makeToken({ subscribe: [BOOK] })}` });
      await publishOk(h.hubUrl, privateUpdate);
      expect((await sse.nextEvent()).data).toBe('secret');
    });

    it('reach a subscriber authorized by the cookie', async () => {
      const sse = await sub([BOOK], { Cookie: `mercureAuthorization=${await makeToken({ subscribe: ['https://example.com/books/{id}'] })}` });
      await publishOk(h.hubUrl, privateUpdate);
      expect((await sse.nextEvent()).data).toBe('secret');
    });

    it('reach a subscriber authorized by the authorization query parameter', async () => {
      const token = await makeToken({ subscribe: ['*'] });
      const sse = await sub([BOOK], {}, { authorization: token });
      await publishOk(h.hubUrl, privateUpdate);
      expect((await sse.nextEvent()).data).toBe('secret');
    });

    it('are not sent to a subscriber authorized for other topics', async () => {
      const sse = await sub([BOOK], { Authorization: `Bearer ${await makeToken({ subscribe: ['https://example.com/books/2'] })}` });
      await publishOk(h.hubUrl, privateUpdate);
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('are not sent to a subscriber whose token has no mercure.subscribe', async () => {
      const sse = await sub([BOOK], { Authorization: `Bearer ${await makeToken({ publish: ['*'] })}` });
      await publishOk(h.hubUrl, privateUpdate);
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('reach a subscriber authorized for an alternate topic only (the spec example)', async () => {
      const token = await makeToken({ subscribe: ['https://example.com/users/foo/{?topic}'] });
      const sse = await sub(['https://example.com/books/{id}'], { Authorization: `Bearer ${token}` });
      await publishOk(h.hubUrl, {
        topic: ['https://example.com/books/1', 'https://example.com/users/foo/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F1'],
        private: 'on',
        data: 'for foo',
      });
      await publishOk(h.hubUrl, { topic: 'https://example.com/books/2', private: 'on', data: 'not for foo' });
      expect((await sse.nextEvent()).data).toBe('for foo');
      expect(await nextAfterMarker(h.hubUrl, sse)).toBe('marker');
    });

    it('are sent once to subscribers sharing the same claims, and not to the others', async () => {
      const token = await makeToken({ subscribe: [BOOK] });
      const a = await sub([BOOK], { Authorization: `Bearer ${token}` });
      const b = await sub(['*'], { Authorization: `Bearer ${token}` });
      const anonymous = await sub(['*']);
      await publishOk(h.hubUrl, privateUpdate);
      expect((await a.nextEvent()).data).toBe('secret');
      expect((await b.nextEvent()).data).toBe('secret');
      expect(await nextAfterMarker(h.hubUrl, anonymous)).toBe('marker');
    });
  });

  describe('subscriber authorization', () => {
    it.each([
      ['a token signed with another key', async () => ({ Authorization: `Bearer ${await makeToken({ subscribe: ['*'] }, { secret: 'x'.repeat(40) })}` })],
      ['alg none', async () => ({ Authorization: `Bearer ${unsignedToken({ subscribe: ['*'] })}` })],
      ['an expired token', async () => ({ Authorization: `Bearer ${await makeToken({ subscribe: ['*'] }, { exp: Math.floor(Date.now() / 1000) - 10 })}` })],
      ['a malformed cookie', async () => ({ Cookie: 'mercureAuthorization=garbage' })],
      ['a non-Bearer header', async () => ({ Authorization: 'Basic abc' })],
    ])('answers 401 for %s, even with anonymous access on', async (_name, headers) => {
      const result = await openSse(subscribeUrl(h.hubUrl, [BOOK]), await headers());
      expect(result).not.toBeInstanceOf(SseConnection);
      expect(result.status).toBe(401);
    });

    it('closes the stream when the token expires', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const sse = await sub([BOOK], { Authorization: `Bearer ${await makeToken({ subscribe: ['*'] }, { exp })}` });
      await sse.ended;
      expect(sse.isClosed).toBe(true);
    });
  });

  describe('history', () => {
    it('replays the updates after Last-Event-ID, in order, with the Last-Event-ID response header', async () => {
      const topic = 'https://example.com/history/1';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await publishOk(h.hubUrl, { topic, data: `v${i}` }));
      await publishOk(h.hubUrl, { topic: 'https://example.com/history/other', data: 'other topic' });
      const sse = await sub([topic], { 'Last-Event-ID': ids[1] });
      expect(sse.headers['last-event-id']).toBe(ids[1]);
      expect((await sse.events(3)).map((e) => [e.id, e.data])).toEqual([
        [ids[2], 'v2'],
        [ids[3], 'v3'],
        [ids[4], 'v4'],
      ]);
      await publishOk(h.hubUrl, { topic, data: 'live' });
      expect((await sse.nextEvent()).data).toBe('live');
    });

    it('replays from the lastEventID query parameter, the header taking precedence', async () => {
      const topic = 'https://example.com/history/2';
      const a = await publishOk(h.hubUrl, { topic, data: 'a' });
      const b = await publishOk(h.hubUrl, { topic, data: 'b' });
      await publishOk(h.hubUrl, { topic, data: 'c' });
      const fromQuery = await sub([topic], {}, { lastEventID: a });
      expect(fromQuery.headers['last-event-id']).toBe(a);
      expect((await fromQuery.events(2)).map((e) => e.data)).toEqual(['b', 'c']);
      const both = await sub([topic], { 'Last-Event-ID': b }, { lastEventID: a });
      expect(both.headers['last-event-id']).toBe(b);
      expect((await both.nextEvent()).data).toBe('c');
      expect(await nextAfterMarker(h.hubUrl, both)).toBe('marker');
      const legacy = await sub([topic], {}, { 'Last-Event-ID': b });
      expect(legacy.headers['last-event-id']).toBe(b);
      expect((await legacy.nextEvent()).data).toBe('c');
    });

    it('replays every kept update for earliest', async () => {
      const topic = `https://example.com/history/${Date.now()}`;
      await publishOk(h.hubUrl, { topic, data: 'first' });
      await publishOk(h.hubUrl, { topic, data: 'second' });
      const sse = await subscribe(subscribeUrl(h.hubUrl, [topic]), { 'Last-Event-ID': 'earliest' });
      open.push(sse);
      expect(sse.headers['last-event-id']).toBe('earliest');
      expect((await sse.events(2)).map((e) => e.data)).toEqual(['first', 'second']);
    });

    it('replays nothing for an unknown id and answers earliest', async () => {
      const topic = 'https://example.com/history/3';
      await publishOk(h.hubUrl, { topic, data: 'old' });
      const sse = await sub([topic], { 'Last-Event-ID': 'urn:unknown' });
      expect(sse.headers['last-event-id']).toBe('earliest');
      await publishOk(h.hubUrl, { topic, data: 'new' });
      expect((await sse.nextEvent()).data).toBe('new');
    });

    it('filters the replay by topic and private authorization', async () => {
      const topic = 'https://example.com/history/4';
      const start = await publishOk(h.hubUrl, { topic, data: 'start' });
      await publishOk(h.hubUrl, { topic, data: 'private', private: 'on' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/history/5', data: 'other' });
      await publishOk(h.hubUrl, { topic, data: 'public' });
      const anonymous = await sub([topic], { 'Last-Event-ID': start });
      expect((await anonymous.nextEvent()).data).toBe('public');
      const authorized = await sub([topic], {
        'Last-Event-ID': start,
        Authorization: `Bearer ${await makeToken({ subscribe: [topic] })}`,
      });
      expect((await authorized.events(2)).map((e) => e.data)).toEqual(['private', 'public']);
    });

    it('sends the last event id in the header when no replay is asked', async () => {
      const id = await publishOk(h.hubUrl, { topic: 'urn:last', data: 'x' });
      const sse = await sub(['urn:last']);
      expect(sse.headers['last-event-id']).toBe(id);
    });
  });

  describe('CORS', () => {
    it('allows a configured origin with credentials', async () => {
      const sse = await sub([BOOK], { Origin: 'https://app.example.com' });
      expect(sse.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(sse.headers['access-control-allow-credentials']).toBe('true');
      expect(sse.headers.vary).toMatch(/Origin/);
    });

    it('does not allow other origins', async () => {
      const sse = await sub([BOOK], { Origin: 'https://evil.example.com' });
      expect(sse.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers preflight requests', async () => {
      const ok = await request(h.hubUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'authorization, last-event-id',
        },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(ok.headers['access-control-allow-methods']).toMatch(/GET/);
      expect(ok.headers['access-control-allow-headers']).toMatch(/authorization/i);
      const refused = await request(h.hubUrl, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'POST' },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('sets CORS headers on publish responses too', async () => {
      const result = await request(h.hubUrl, {
        method: 'POST',
        headers: {
          Origin: 'https://app.example.com',
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Bearer ${await makeToken({ publish: ['*'] })}`,
        },
        body: 'topic=urn:cors',
      });
      expect(result.status).toBe(200);
      expect(result.headers['access-control-allow-origin']).toBe('https://app.example.com');
    });
  });

  it('answers 405 to other methods', async () => {
    const result = await request(h.hubUrl, { method: 'PUT' });
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe('GET, POST, OPTIONS');
  });
});

describe('Subscribing without anonymous access', () => {
  let h: NestHub;
  beforeAll(async () => {
    h = await startNestHub({ publisherJwt: { key: SECRET }, cors: { origins: '*' }, heartbeat: 50 });
  });
  afterAll(() => h.close());

  it('answers 401 without a token', async () => {
    const result = await openSse(subscribeUrl(h.hubUrl, [BOOK]));
    expect(result.status).toBe(401);
  });

  it('accepts any valid token, even without mercure.subscribe (public updates only)', async () => {
    const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), { Authorization: `Bearer ${await makeToken({})}` });
    await publishOk(h.hubUrl, { topic: BOOK, data: 'private', private: 'on' });
    await publishOk(h.hubUrl, { topic: BOOK, data: 'public' });
    expect((await sse.nextEvent()).data).toBe('public');
    sse.close();
  });

  it('sends heartbeat comments on idle streams', async () => {
    const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), { Authorization: `Bearer ${await makeToken({})}` });
    expect(await sse.nextComment()).toBe('');
    expect(await sse.nextComment()).toBe('');
    expect(sse.raw.startsWith(':\n:\n:\n')).toBe(true);
    sse.close();
  });

  it('answers CORS * without credentials', async () => {
    const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), {
      Origin: 'https://anywhere.example',
      Authorization: `Bearer ${await makeToken({})}`,
    });
    expect(sse.headers['access-control-allow-origin']).toBe('*');
    expect(sse.headers['access-control-allow-credentials']).toBeUndefined();
    sse.close();
  });
});
