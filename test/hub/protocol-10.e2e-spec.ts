import { accessToken, AUDIENCE, detail, ISSUER, matchUrl } from './access-token';
import { form, makeToken, NestHub, publish, request, SECRET, startNestHub } from './helpers';
import { openSse, SseConnection, SseResponse, subscribe } from './sse-client';

/**
 * Protocol 1.0 (draft-dunglas-mercure-08) against the embedded hub in `1.0` mode, over HTTP with
 * real SSE streams: tokens, requests, errors, the subscriptions API. The conformance-style cases
 * are in `conformance.e2e-spec.ts`.
 */
describe('Protocol 1.0 (Nest app, real SSE)', () => {
  let h: NestHub;
  const open: SseConnection[] = [];
  let publisher: string;

  const sub = async (params: [string, string][], headers: Record<string, string> = {}) => {
    const sse = await subscribe(matchUrl(h.hubUrl, [...params, ['match', 'urn:marker']]), headers);
    open.push(sse);
    return sse;
  };
  const send = async (fields: Record<string, string | string[]>) => {
    const result = await publish(h.hubUrl, fields, publisher);
    expect(result.status).toBe(200);
    return result.body;
  };
  /** The data of the events `sse` receives before a marker published now. */
  const receivedBeforeMarker = async (sse: SseConnection): Promise<string[]> => {
    await send({ topic: 'urn:marker', data: 'marker' });
    const seen: string[] = [];
    for (;;) {
      const event = await sse.nextEvent();
      if (event.data === 'marker') return seen;
      seen.push(event.data);
    }
  };

  beforeAll(async () => {
    h = await startNestHub({
      protocol: '1.0',
      issuer: ISSUER,
      audience: AUDIENCE,
      publisherJwt: { key: SECRET },
      anonymous: true,
      subscriptions: true,
      historySize: 100,
    });
    publisher = await accessToken([detail(['publish'], ['*'])]);
  });
  afterEach(() => {
    for (const sse of open.splice(0)) sse.close();
  });
  afterAll(() => h.close());

  describe('tokens (RFC 9068)', () => {
    const refusedWith = async (token: string) => {
      const result = (await openSse(matchUrl(h.hubUrl, [['match', 'urn:x']]), { Authorization: `Bearer ${token}` })) as SseResponse;
      return { status: result.status, challenge: result.headers['www-authenticate'] };
    };

    it.each([
      ['no iss', { iss: null }],
      ['another iss', { iss: 'https://evil.example' }],
      ['no aud', { aud: null }],
      ['another aud', { aud: 'https://other.example/.well-known/mercure' }],
      ['no exp', { exp: null }],
      ['a past exp', { exp: 1000 }],
      ['typ JWT', { typ: 'JWT' }],
      ['no typ', { typ: null }],
      ['another key', { secret: 'another secret, long enough for HS256!!' }],
    ])('refuses a token with %s: 401 invalid_token', async (_name, options) => {
      expect(await refusedWith(await accessToken([detail(['subscribe'], ['*'])], options))).toEqual({
        status: 401,
        challenge: 'Bearer realm="mercure", error="invalid_token"',
      });
    });

    it('accepts an aud array containing the audience', async () => {
      const token = await accessToken([detail(['subscribe'], ['*'])], { aud: ['https://api.example', AUDIENCE] });
      const sse = await sub([['match', 'urn:x']], { Authorization: `Bearer ${token}` });
      expect(sse.status).toBe(200);
    });

    it.each([
      ['an unknown action', { type: 'https://mercure.rocks/authorization-detail', actions: ['delete'], topics: [{ match: '*' }] }],
      ['no topics', { type: 'https://mercure.rocks/authorization-detail', actions: ['subscribe'], topics: [] }],
      ['an unknown match_type', { type: 'https://mercure.rocks/authorization-detail', actions: ['subscribe'], topics: [{ match: 'x', match_type: 'regex' }] }],
      ['a costly URL pattern', { type: 'https://mercure.rocks/authorization-detail', actions: ['subscribe'], topics: [{ match: 'https://e.com/*a*a*b', match_type: 'urlpattern' }] }],
      ['no type', { actions: ['subscribe'], topics: [{ match: '*' }] }],
    ])('one invalid authorization_details entry (%s) refuses the whole token', async (_name, bad) => {
      const token = await accessToken([detail(['subscribe'], ['*']), bad]);
      expect((await refusedWith(token)).status).toBe(401);
    });

    it('ignores entries of other types (for other resource servers)', async () => {
      const token = await accessToken([{ type: 'https://bank.example/payment', amount: 3 }, detail(['subscribe'], ['*'])]);
      expect((await sub([['match', 'urn:x']], { Authorization: `Bearer ${token}` })).status).toBe(200);
    });

    it('refuses a 0.x token: 401 invalid_token', async () => {
      const token = await makeToken({ subscribe: ['*'] }, { exp: Math.floor(Date.now() / 1000) + 60 });
      expect(await refusedWith(token)).toEqual({ status: 401, challenge: 'Bearer realm="mercure", error="invalid_token"' });
    });

    it('a missing token, when anonymous subscribers are not allowed, is a bare challenge', async () => {
      const closed = await startNestHub({ protocol: '1.0', issuer: ISSUER, audience: AUDIENCE, publisherJwt: { key: SECRET } });
      try {
        const result = (await openSse(matchUrl(closed.hubUrl, [['match', 'urn:x']]))) as SseResponse;
        expect(result.status).toBe(401);
        expect(result.headers['www-authenticate']).toBe('Bearer realm="mercure"');
      } finally {
        await closed.close();
      }
    });

    it('never takes a token from the URL: 400 invalid_request', async () => {
      const token = await accessToken([detail(['subscribe'], ['*'])]);
      const result = (await openSse(matchUrl(h.hubUrl, [['match', 'urn:x'], ['authorization', token]]))) as SseResponse;
      expect(result.status).toBe(400);
      expect(result.headers['www-authenticate']).toBe('Bearer realm="mercure", error="invalid_request"');
    });

    it('reads the __Secure-mercure_access_token cookie, not mercureAuthorization', async () => {
      const token = await accessToken([detail(['subscribe'], ['urn:private', 'urn:marker'])]);
      const withCookie = await sub([['match', 'urn:private']], { Cookie: `__Secure-mercure_access_token=${token}` });
      const withOldCookie = await sub([['match', 'urn:private']], { Cookie: `mercureAuthorization=${token}` });
      await send({ topic: 'urn:private', data: 'p', private: 'on' });
      expect(await receivedBeforeMarker(withCookie)).toEqual(['p']);
      expect(await receivedBeforeMarker(withOldCookie)).toEqual([]);
    });

    it('publishing outside the granted topics is 403 insufficient_scope', async () => {
      const token = await accessToken([detail(['publish'], ['https://example.com/books/:id'].map((match) => ({ match, match_type: 'urlpattern' })))]);
      const allowed = await publish(h.hubUrl, { topic: 'https://example.com/books/1', data: 'x' }, token);
      expect(allowed.status).toBe(200);
      const refused = await publish(h.hubUrl, { topic: 'https://example.com/authors/1', data: 'x' }, token);
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="mercure", error="insufficient_scope"');
      const subscribeOnly = await accessToken([detail(['subscribe'], ['*'])]);
      expect((await publish(h.hubUrl, { topic: 'urn:x', data: 'x' }, subscribeOnly)).status).toBe(403);
    });
  });

  describe('requests', () => {
    it('answers 400 for an unknown match* parameter and for a missing one', async () => {
      const unknown = await request(matchUrl(h.hubUrl, [['match_regex', '.*']]));
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatch(/match_regex/);
      expect((await request(matchUrl(h.hubUrl, [['topic', 'urn:x']]))).status).toBe(400);
    });

    it('refuses URL patterns whose match could cost too much, and invalid ones', async () => {
      for (const pattern of ['https://example.com/*a*a*a*b', 'https://example.com/:a((a+)+)b', 'https://example.com/:a-:b', 'https://example.com/:id(']) {
        const result = await request(matchUrl(h.hubUrl, [['match_urlpattern', pattern]]));
        expect(result.status).toBe(400);
      }
    });

    it('answers 429 past maxUrlPatterns distinct URL patterns, and takes them again once released', async () => {
      const small = await startNestHub({ protocol: '1.0', issuer: ISSUER, audience: AUDIENCE, publisherJwt: { key: SECRET }, anonymous: true, maxUrlPatterns: 2 });
      try {
        const two = await subscribe(matchUrl(small.hubUrl, [['match_urlpattern', 'https://a.example/:x'], ['match_urlpattern', 'https://b.example/:x']]));
        const third = await request(matchUrl(small.hubUrl, [['match_urlpattern', 'https://c.example/:x']]));
        expect(third.status).toBe(429);
        expect(third.body).toMatch(/maxUrlPatterns/);
        // A pattern already followed costs nothing more.
        const again = await subscribe(matchUrl(small.hubUrl, [['match_urlpattern', 'https://a.example/:x']]));
        again.close();
        two.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const later = await subscribe(matchUrl(small.hubUrl, [['match_urlpattern', 'https://c.example/:x']]));
        later.close();
      } finally {
        await small.close();
      }
    });

    it('lets browsers on allowed origins subscribe with QUERY and read the 1.0 headers (CORS)', async () => {
      const cors = await startNestHub({ protocol: '1.0', issuer: ISSUER, audience: AUDIENCE, publisherJwt: { key: SECRET }, anonymous: true, cors: { origins: ['https://app.example'] } });
      try {
        const preflight = await request(cors.hubUrl, {
          method: 'OPTIONS',
          headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'QUERY' },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers['access-control-allow-methods']).toContain('QUERY');
        const sse = await subscribe(matchUrl(cors.hubUrl, [['match', 'urn:x']]), { Origin: 'https://app.example' });
        expect(sse.headers['access-control-expose-headers']).toContain('Mercure-Last-Event-ID');
        sse.close();
      } finally {
        await cors.close();
      }
    });

    it('replays from last_event_id and names the position in Mercure-Last-Event-ID', async () => {
      const first = await send({ topic: 'urn:replay', data: 'one' });
      await send({ topic: 'urn:replay', data: 'two' });
      const sse = await sub([['match', 'urn:replay'], ['last_event_id', first]]);
      expect(sse.headers['mercure-last-event-id']).toBe(first);
      expect(sse.headers['last-event-id']).toBeUndefined();
      expect(await receivedBeforeMarker(sse)).toEqual(['two']);
    });

    it('the Last-Event-ID header wins over last_event_id', async () => {
      const first = await send({ topic: 'urn:replay2', data: 'one' });
      const second = await send({ topic: 'urn:replay2', data: 'two' });
      await send({ topic: 'urn:replay2', data: 'three' });
      const sse = await sub([['match', 'urn:replay2'], ['last_event_id', first]], { 'Last-Event-ID': second });
      expect(await receivedBeforeMarker(sse)).toEqual(['three']);
    });

    it('subscribes with the QUERY method (selectors in the body)', async () => {
      const body = form({ match: ['urn:by-query', 'urn:marker'], match_urlpattern: 'https://example.com/q/:id' });
      const sse = await subscribe(h.hubUrl, { 'Content-Type': 'application/x-www-form-urlencoded' }, { method: 'QUERY', body });
      open.push(sse);
      await send({ topic: 'urn:by-query', data: 'q1' });
      await send({ topic: 'https://example.com/q/3', data: 'q2' });
      expect(await receivedBeforeMarker(sse)).toEqual(['q1', 'q2']);
    });

    it('refuses publishing type=mercure (reserved for subscription events)', async () => {
      const result = await publish(h.hubUrl, { topic: 'urn:x', data: 'x', type: 'mercure' }, publisher);
      expect(result.status).toBe(400);
    });

    it('serves the RFC 9728 metadata document', async () => {
      const result = await request(`${h.baseUrl}/.well-known/oauth-protected-resource/.well-known/mercure`);
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({
        resource: AUDIENCE,
        authorization_servers: [ISSUER],
        authorization_details_types_supported: ['https://mercure.rocks/authorization-detail'],
      });
    });
  });

  describe('subscriptions API and events', () => {
    it('sends `event: mercure` subscription events and lists subscriptions as plain JSON', async () => {
      const base = `${AUDIENCE}/subscriptions`;
      const reader = await accessToken([detail(['subscribe'], [{ match: `${base}/*`, match_type: 'urlpattern' }, 'urn:marker'])]);
      const watcher = await sub([['match_urlpattern', `${base}/exact/*`]], { Authorization: `Bearer ${reader}` });
      const watched = await sub([['match', 'urn:watched']]);
      // The watcher's own subscription to urn:marker is announced too (before the watched one).
      let event = await watcher.nextEvent();
      while (JSON.parse(event.data).match !== 'urn:watched') event = await watcher.nextEvent();
      expect(event.event).toBe('mercure');
      const doc = JSON.parse(event.data);
      expect(doc).toMatchObject({ type: 'Subscription', match_type: 'exact', match: 'urn:watched', active: true });
      expect(doc.id).toMatch(new RegExp(`^${base}/exact/urn%3Awatched/urn%3Auuid%3A`));
      expect(doc['@context']).toBeUndefined();

      const listing = await request(`${h.hubUrl}/subscriptions/exact/${encodeURIComponent('urn:watched')}`, {
        headers: { Authorization: `Bearer ${reader}` },
      });
      expect(listing.status).toBe(200);
      expect(listing.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(listing.body).subscriptions).toEqual([expect.objectContaining({ match: 'urn:watched', subscriber: doc.subscriber })]);
      const noScope = await request(`${h.hubUrl}/subscriptions`, { headers: { Authorization: `Bearer ${publisher}` } });
      expect(noScope.status).toBe(403);
      watched.close();
    });
  });
});
