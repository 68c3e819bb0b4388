import { createTokenProvider } from '../../lib/publisher/token-provider';
import { accessToken, AUDIENCE, detail, ISSUER, matchUrl } from './access-token';
import { makeToken, NestHub, publish, SECRET, startNestHub, subscribeUrl } from './helpers';
import { SseConnection, subscribe } from './sse-client';

/**
 * The cases a Mercure conformance suite checks (raw string, several selectors, URI, URI template
 * or URL pattern, non-matching, private), written from the specs, against the embedded hub over
 * HTTP with real SSE: the 1.0 cases in `1.0` and `both` mode with tokens made by hand (jose) and by
 * the library's own 1.0 token factory, and the 0.x cases in `both` mode. 1.0 tokens are `at+jwt`
 * with `aud` https://localhost/.well-known/mercure and `iss` https://localhost.
 */
type Params = [string, string][];

interface Client {
  /** Opens a subscription to these selectors (plus a marker topic), with these headers. */
  subscribe(selectors: string[], headers?: Record<string, string>, kind?: 'pattern'): Promise<SseConnection>;
  /** A subscriber token granting these selectors (plus the marker). */
  token(selectors: string[], kind?: 'pattern'): Promise<string>;
}

function conformance(version: '1.0' | '0.x', mode: '1.0' | 'both', source: 'jose' | 'library') {
  let h: NestHub;
  let publisherToken: string;
  const open: SseConnection[] = [];

  const client: Client =
    version === '1.0'
      ? {
          async subscribe(selectors, headers = {}, kind) {
            const params: Params = selectors.map((s) => [kind === 'pattern' ? 'match_urlpattern' : 'match', s]);
            return subscribe(matchUrl(h.hubUrl, [...params, ['match', 'urn:marker']]), headers);
          },
          token: (selectors, kind) =>
            accessToken([detail(['subscribe'], [...selectors.map((match) => ({ match, ...(kind === 'pattern' && { match_type: 'urlpattern' }) })), 'urn:marker'])]),
        }
      : {
          subscribe: (selectors, headers = {}) => subscribe(subscribeUrl(h.hubUrl, [...selectors, 'urn:marker']), headers),
          token: (selectors) => makeToken({ subscribe: [...selectors, 'urn:marker'] }),
        };

  const sub = async (selectors: string[], headers: Record<string, string> = {}, kind?: 'pattern') => {
    const sse = await client.subscribe(selectors, headers, kind);
    open.push(sse);
    return sse;
  };
  const send = async (fields: Record<string, string | string[]>) => {
    const result = await publish(h.hubUrl, fields, publisherToken);
    expect(result.status).toBe(200);
  };
  const receivedBeforeMarker = async (sse: SseConnection): Promise<string[]> => {
    await send({ topic: 'urn:marker', data: 'marker' });
    const seen: string[] = [];
    for (let e = await sse.nextEvent(); e.data !== 'marker'; e = await sse.nextEvent()) seen.push(e.data);
    return seen;
  };

  beforeAll(async () => {
    h = await startNestHub({ protocol: mode, issuer: ISSUER, audience: AUDIENCE, publisherJwt: { key: SECRET }, anonymous: true });
    if (version === '0.x') publisherToken = await makeToken({ publish: ['*'] });
    else if (source === 'jose') publisherToken = await accessToken([detail(['publish'], ['*'])]);
    else publisherToken = await createTokenProvider({ secret: SECRET }, 'jwt', { issuer: ISSUER, audience: AUDIENCE })!();
  });
  afterEach(() => {
    for (const sse of open.splice(0)) sse.close();
  });
  afterAll(() => h.close());

  it('a raw string topic', async () => {
    const sse = await sub(['raw string topic']);
    await send({ topic: 'raw string topic', data: 'raw' });
    expect(await receivedBeforeMarker(sse)).toEqual(['raw']);
  });

  it('several selectors in one subscription', async () => {
    const sse = await sub(['urn:a', 'urn:b']);
    await send({ topic: 'urn:a', data: 'a' });
    await send({ topic: 'urn:b', data: 'b' });
    await send({ topic: 'urn:c', data: 'c' });
    expect(await receivedBeforeMarker(sse)).toEqual(['a', 'b']);
  });

  it('a URI', async () => {
    const sse = await sub(['https://example.com/books/1']);
    await send({ topic: 'https://example.com/books/1', data: 'book 1' });
    await send({ topic: 'https://example.com/books/2', data: 'book 2' });
    expect(await receivedBeforeMarker(sse)).toEqual(['book 1']);
  });

  const [selector, kind] = version === '1.0' ? ['https://example.com/books/:id', 'pattern' as const] : ['https://example.com/books/{id}', undefined];
  it(version === '1.0' ? 'a URL pattern' : 'a URI template', async () => {
    const sse = await sub([selector], {}, kind);
    await send({ topic: 'https://example.com/books/1', data: 'book 1' });
    await send({ topic: 'https://example.com/books/1/reviews/2', data: 'review' });
    await send({ topic: 'https://example.com/authors/1', data: 'author' });
    expect(await receivedBeforeMarker(sse)).toEqual(['book 1']);
  });

  it('a non-matching subscription receives nothing', async () => {
    const sse = await sub(['https://example.com/other']);
    await send({ topic: 'https://example.com/books/1', data: 'book 1' });
    expect(await receivedBeforeMarker(sse)).toEqual([]);
  });

  it('a private update reaches only subscribers whose token matches it', async () => {
    const topic = 'https://example.com/users/alice/notes';
    const byPattern = version === '1.0' ? await client.token(['https://example.com/users/:u/notes'], 'pattern') : await client.token(['https://example.com/users/{u}/notes']);
    const granted = await sub([topic], { Authorization: `Bearer ${byPattern}` });
    const exact = await sub([topic], { Authorization: `Bearer ${await client.token([topic])}` });
    const other = await sub([topic], { Authorization: `Bearer ${await client.token(['https://example.com/users/bob/notes'])}` });
    const anonymous = await sub([topic]);
    await send({ topic, data: 'secret', private: 'on' });
    await send({ topic: 'https://example.com/users/a/b/notes', data: 'deeper', private: 'on' });
    await send({ topic, data: 'public' });
    expect(await receivedBeforeMarker(granted)).toEqual(['secret', 'public']);
    expect(await receivedBeforeMarker(exact)).toEqual(['secret', 'public']);
    expect(await receivedBeforeMarker(other)).toEqual(['public']);
    expect(await receivedBeforeMarker(anonymous)).toEqual(['public']);
  });
}

describe('conformance cases, 1.0, hub in 1.0 mode, tokens made with jose', () => conformance('1.0', '1.0', 'jose'));
describe("conformance cases, 1.0, hub in 1.0 mode, the library's publisher token", () => conformance('1.0', '1.0', 'library'));
describe("conformance cases, 1.0, hub in both mode, tokens made with jose", () => conformance('1.0', 'both', 'jose'));
describe("conformance cases, 1.0, hub in both mode, the library's publisher token", () => conformance('1.0', 'both', 'library'));
describe('conformance cases, 0.x, hub in both mode', () => conformance('0.x', 'both', 'jose'));
