import { accessToken, AUDIENCE, detail, ISSUER, matchUrl } from './access-token';
import { makeToken, NestHub, publish, SECRET, startNestHub, subscribeUrl } from './helpers';
import { openSse, SseConnection, SseResponse, subscribe } from './sse-client';

/**
 * `protocol: 'both'`: one hub for clients of either version. Each request is read by what it
 * carries (`topic` or `match*`, the token's `typ`, the cookie), and neither version's checks are
 * relaxed by the other's presence.
 */
describe("Protocol 'both' (Nest app, real SSE)", () => {
  let h: NestHub;
  const open: SseConnection[] = [];
  const future = () => Math.floor(Date.now() / 1000) + 3600;

  const track = (sse: SseConnection) => (open.push(sse), sse);
  const sub0 = async (topics: string[], headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    track(await subscribe(subscribeUrl(h.hubUrl, [...topics, 'urn:marker'], extra), headers));
  const sub1 = async (params: [string, string][], headers: Record<string, string> = {}) =>
    track(await subscribe(matchUrl(h.hubUrl, [...params, ['match', 'urn:marker']]), headers));
  const send = async (fields: Record<string, string | string[]>, token?: string) => {
    const result = await publish(h.hubUrl, fields, token);
    expect(result.status).toBe(200);
  };
  const receivedBeforeMarker = async (...streams: SseConnection[]): Promise<string[][]> => {
    await send({ topic: 'urn:marker', data: 'marker' });
    return Promise.all(
      streams.map(async (sse) => {
        const seen: string[] = [];
        for (let e = await sse.nextEvent(); e.data !== 'marker'; e = await sse.nextEvent()) seen.push(e.data);
        return seen;
      }),
    );
  };

  beforeAll(async () => {
    h = await startNestHub({ protocol: 'both', issuer: ISSUER, audience: AUDIENCE, publisherJwt: { key: SECRET }, anonymous: true });
  });
  afterEach(() => {
    for (const sse of open.splice(0)) sse.close();
  });
  afterAll(() => h.close());

  it('a 0.x subscriber and a 1.0 subscriber of the same topic both receive a public update', async () => {
    const old = await sub0(['https://example.com/books/1']);
    const modern = await sub1([['match', 'https://example.com/books/1']]);
    const pattern = await sub1([['match_urlpattern', 'https://example.com/books/:id']]);
    const template = await sub0(['https://example.com/books/{id}']);
    await send({ topic: 'https://example.com/books/1', data: 'book' });
    expect(await receivedBeforeMarker(old, modern, pattern, template)).toEqual([['book'], ['book'], ['book'], ['book']]);
    expect(old.headers['last-event-id']).toBeDefined();
    expect(modern.headers['mercure-last-event-id']).toBeDefined();
  });

  it('publishers of either version are accepted (0.x token, 1.0 access token)', async () => {
    const sse = await sub1([['match', 'urn:pub']]);
    await send({ topic: 'urn:pub', data: 'from 0.x' }, await makeToken({ publish: ['*'] }));
    await send({ topic: 'urn:pub', data: 'from 1.0' }, await accessToken([detail(['publish'], ['urn:pub', 'urn:marker'])]));
    expect(await receivedBeforeMarker(sse)).toEqual([['from 0.x', 'from 1.0']]);
  });

  it('private updates behave the same whichever version granted them', async () => {
    const topic = 'https://example.com/users/alice/notes';
    const v0 = await makeToken({ subscribe: ['https://example.com/users/{user}/notes', 'urn:marker'] });
    const v1 = await accessToken([detail(['subscribe'], [{ match: 'https://example.com/users/:user/notes', match_type: 'urlpattern' }, 'urn:marker'])]);
    // Each token on each request version.
    const streams = [
      await sub0([topic], { Authorization: `Bearer ${v0}` }),
      await sub0([topic], { Authorization: `Bearer ${v1}` }),
      await sub1([['match', topic]], { Authorization: `Bearer ${v0}` }),
      await sub1([['match', topic]], { Authorization: `Bearer ${v1}` }),
      await sub1([['match', topic]]),
      await sub0([topic]),
    ];
    await send({ topic, data: 'secret', private: 'on' });
    await send({ topic: 'https://example.com/users/alice/x/notes', data: 'not granted', private: 'on' });
    expect(await receivedBeforeMarker(...streams)).toEqual([['secret'], ['secret'], ['secret'], ['secret'], [], []]);
  });

  it('1.0 checks hold in both: an at+jwt without aud, iss or exp is refused', async () => {
    for (const options of [{ aud: null }, { iss: null }, { exp: null }, { aud: 'https://other.example' }] as const) {
      const token = await accessToken([detail(['subscribe'], ['*'])], options);
      for (const url of [subscribeUrl(h.hubUrl, ['urn:x']), matchUrl(h.hubUrl, [['match', 'urn:x']])]) {
        const result = (await openSse(url, { Authorization: `Bearer ${token}` })) as SseResponse;
        expect(result.status).toBe(401);
      }
      expect((await publish(h.hubUrl, { topic: 'urn:x', data: 'x' }, await accessToken([detail(['publish'], ['*'])], options))).status).toBe(401);
    }
  });

  it('0.x checks hold in both: a bad signature or a past exp is refused', async () => {
    for (const token of [
      await makeToken({ subscribe: ['*'] }, { secret: 'another secret, long enough for HS256!!' }),
      await makeToken({ subscribe: ['*'] }, { exp: 1000 }),
    ]) {
      expect(((await openSse(subscribeUrl(h.hubUrl, ['urn:x']), { Authorization: `Bearer ${token}` })) as SseResponse).status).toBe(401);
    }
  });

  it('errors follow the request version: bare 401 on 0.x, RFC 6750 on 1.0', async () => {
    const bad = 'not-a-jwt';
    const old = (await openSse(subscribeUrl(h.hubUrl, ['urn:x']), { Authorization: `Bearer ${bad}` })) as SseResponse;
    expect(old.status).toBe(401);
    expect(old.headers['www-authenticate']).toBeUndefined();
    const modern = (await openSse(matchUrl(h.hubUrl, [['match', 'urn:x']]), { Authorization: `Bearer ${bad}` })) as SseResponse;
    expect(modern.status).toBe(401);
    expect(modern.headers['www-authenticate']).toBe('Bearer realm="mercure", error="invalid_token"');
  });

  it('the authorization query parameter works for 0.x requests only, and never carries an access token', async () => {
    const v0 = await makeToken({ subscribe: ['urn:q'] }, { exp: future() });
    const v1 = await accessToken([detail(['subscribe'], ['urn:q'])]);
    const fromQuery = await openSse(subscribeUrl(h.hubUrl, ['urn:q'], { authorization: v0 }));
    expect(fromQuery).toBeInstanceOf(SseConnection);
    track(fromQuery as SseConnection);
    const modernInUrl = (await openSse(matchUrl(h.hubUrl, [['match', 'urn:q'], ['authorization', v0]]))) as SseResponse;
    expect(modernInUrl.status).toBe(400);
    const accessInUrl = (await openSse(subscribeUrl(h.hubUrl, ['urn:q'], { authorization: v1 }))) as SseResponse;
    expect(accessInUrl.status).toBe(400);
  });

  it('reads both cookies, the request version first', async () => {
    const v0 = await makeToken({ subscribe: ['urn:c0', 'urn:marker'] });
    const v1 = await accessToken([detail(['subscribe'], ['urn:c1', 'urn:marker'])]);
    const cookies = { Cookie: `mercureAuthorization=${v0}; __Secure-mercure_access_token=${v1}` };
    const old = await sub0(['urn:c0', 'urn:c1'], cookies);
    const modern = await sub1([['match', 'urn:c0'], ['match', 'urn:c1']], cookies);
    await send({ topic: 'urn:c0', data: 'c0', private: 'on' });
    await send({ topic: 'urn:c1', data: 'c1', private: 'on' });
    expect(await receivedBeforeMarker(old, modern)).toEqual([['c0'], ['c1']]);
  });

  it('a request mixing topic and match is 400', async () => {
    const result = (await openSse(matchUrl(h.hubUrl, [['match', 'urn:a'], ['topic', 'urn:b']]))) as SseResponse;
    expect(result.status).toBe(400);
  });
});
