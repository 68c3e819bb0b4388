import { jwtVerify, SignJWT } from 'jose';
import { freePort } from './support/fake-hub';
import { spawnSampleApp } from './support/sample-app-process';
import { SseConnection, subscribe } from './hub/sse-client';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

/**
 * The sample app's demo sign-in and private notes, over HTTP, with real SSE connections to its
 * embedded hub: a note's updates reach its owner only.
 */

const SECRET = 'private-notes-e2e-secret-of-enough-bytes';
const PUBLIC_URL = 'http://books.test';
const HUB_PATH = '/.well-known/mercure';

/** What a browser keeps: the cookies the app set, minus the ones it expired. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): string[] {
    const headers = response.headers.getSetCookie();
    for (const header of headers) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return headers;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(names = [...this.cookies.keys()]): string {
    return names.filter((n) => this.cookies.has(n)).map((n) => `${n}=${this.cookies.get(n)}`).join('; ');
  }
}

/** `name=value` and the attributes of a Set-Cookie header. */
function attributesOf(header: string): Record<string, string | true> {
  const attrs: Record<string, string | true> = {};
  for (const attribute of header.split(/;\s*/).slice(1)) {
    const [name, ...value] = attribute.split('=');
    attrs[name.toLowerCase()] = value.length ? value.join('=') : true;
  }
  return attrs;
}

describe('sample app: demo sign-in and private notes', () => {
  let sample: RunningSampleApp;
  const streams: SseConnection[] = [];

  async function start(env: Record<string, string> = {}) {
    sample = await startSampleApp({ MERCURE_JWT_SECRET: SECRET, PUBLIC_URL, ...env });
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await sample?.app.close();
  });

  function call(method: string, path: string, jar?: CookieJar, body?: unknown, headers: Record<string, string> = {}) {
    return fetch(sample.url + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(jar ? { Cookie: jar.header() } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function login(user: string): Promise<CookieJar> {
    const jar = new CookieJar();
    const response = await call('POST', '/login', undefined, { user });
    expect(response.status).toBe(204);
    jar.take(response);
    return jar;
  }

  async function hub(query: string, headers: Record<string, string> = {}): Promise<SseConnection> {
    const stream = await subscribe(`${sample.url}${HUB_PATH}?${query}`, headers);
    streams.push(stream);
    return stream;
  }

  const everything = `topic=${encodeURIComponent('*')}`;
  const cookieOf = (jar: CookieJar) => ({ Cookie: jar.header(['mercureAuthorization']) });

  async function createNote(jar: CookieJar, body: string) {
    const response = await call('POST', '/notes', jar, { book: '/books/1', body });
    expect(response.status).toBe(201);
    return (await response.json()) as { '@id': string };
  }

  /** A public update every subscriber receives: whatever private update was due arrives before it. */
  async function publicMarker(title: string) {
    expect((await call('POST', '/books', undefined, { title })).status).toBe(201);
  }

  it('signs in with the session cookie and a subscriber cookie granting exactly the user’s notes topic', async () => {
    await start();
    const response = await call('POST', '/login', undefined, { user: 'alice' });
    expect(response.status).toBe(204);
    expect(response.headers.get('link')).toBe(`<${PUBLIC_URL}${HUB_PATH}>; rel="mercure"`);
    const [session, mercure] = response.headers.getSetCookie();
    expect(session).toMatch(/^session=alice\.\d+\.[\w-]{43};/);
    expect(attributesOf(session)).toEqual({ path: '/', 'max-age': expect.any(String), httponly: true, samesite: 'Strict' });
    expect(mercure).toMatch(/^mercureAuthorization=ey/);
    // Plain http: no Secure. Same host as the API: no Domain.
    expect(attributesOf(mercure)).toEqual({ path: HUB_PATH, expires: expect.any(String), 'max-age': '3600', httponly: true, samesite: 'Strict' });

    const token = mercure.slice('mercureAuthorization='.length, mercure.indexOf(';'));
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.mercure).toEqual({ subscribe: [`${PUBLIC_URL}/users/alice/notes`] });
  });

  it('refuses names outside [a-z0-9_-]{1,32} with 400', async () => {
    await start();
    for (const body of [{ user: 'Alice' }, { user: '' }, { user: 'a'.repeat(33) }, { user: '../bob' }, { user: 7 }, {}, { user: 'al ice' }]) {
      const response = await call('POST', '/login', undefined, body);
      expect([response.status, body]).toEqual([400, body]);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect((await call('POST', '/login', undefined, { user: 'a_b-9' })).status).toBe(204);
  });

  it('marks both cookies Secure on https, and covers a hub on another host of the same domain', async () => {
    await start({ PUBLIC_URL: 'https://books.test' });
    const [session, mercure] = (await call('POST', '/login', undefined, { user: 'alice' })).headers.getSetCookie();
    expect(attributesOf(session).secure).toBe(true);
    expect(attributesOf(mercure)).toMatchObject({ secure: true, path: HUB_PATH });
    expect(attributesOf(mercure).domain).toBeUndefined();
    await sample.app.close();

    await start({ PUBLIC_URL: 'https://api.books.test', MERCURE_PUBLISH_URL: 'https://hub.books.test/hub' });
    const [, remote] = (await call('POST', '/login', undefined, { user: 'alice' })).headers.getSetCookie();
    expect(attributesOf(remote)).toMatchObject({ secure: true, path: '/hub', domain: 'books.test', samesite: 'Strict' });
  });

  it('logs out with 204, expiring both cookies', async () => {
    await start();
    const jar = await login('alice');
    const response = await call('POST', '/logout', jar);
    expect(response.status).toBe(204);
    const [session, mercure] = jar.take(response);
    expect(session).toMatch(/^session=;/);
    expect(attributesOf(session)).toMatchObject({ path: '/', 'max-age': '0' });
    expect(mercure).toMatch(/^mercureAuthorization=;/);
    expect(attributesOf(mercure)).toMatchObject({ path: HUB_PATH, 'max-age': '0', httponly: true, samesite: 'Strict' });
    expect(jar.header()).toBe('');
    expect((await call('GET', '/notes', jar)).status).toBe(401);
  });

  it('answers 401 signed out or with a forged session, and 404 for another user’s note', async () => {
    await start();
    await publicMarker('Dune');
    const alice = await login('alice');
    const bob = await login('bob');
    for (const [method, path, body] of [['GET', '/notes'], ['POST', '/notes', { book: '/books/1', body: 'x' }], ['GET', '/notes/1'], ['PATCH', '/notes/1', { body: 'y' }], ['DELETE', '/notes/1']] as const) {
      expect([method, path, (await call(method, path, undefined, body)).status]).toEqual([method, path, 401]);
    }
    // Bob's signature under Alice's name, or a tampered expiry: not a session.
    const [, bobExpiry, bobMac] = bob.get('session')!.split('.');
    const [, aliceExpiry] = alice.get('session')!.split('.');
    for (const forged of [`alice.${bobExpiry}.${bobMac}`, `bob.${Number(bobExpiry) + 1000}.${bobMac}`, `alice.${aliceExpiry}.${'A'.repeat(43)}`]) {
      expect((await call('GET', '/notes', undefined, undefined, { Cookie: `session=${forged}` })).status).toBe(401);
    }

    const note = await createNote(alice, 'Spice');
    expect(note).toEqual({ '@id': '/notes/1', '@type': 'Note', id: 1, book: '/books/1', body: 'Spice' });
    expect(await (await call('GET', '/notes', alice)).json()).toMatchObject({ totalItems: 1, member: [note] });
    expect(await (await call('GET', '/notes', bob)).json()).toMatchObject({ totalItems: 0, member: [] });
    expect((await call('GET', '/notes/1', bob)).status).toBe(404);
    expect((await call('PATCH', '/notes/1', bob, { body: 'Mine now' })).status).toBe(404);
    expect((await call('DELETE', '/notes/1', bob)).status).toBe(404);
    expect((await call('POST', '/notes', alice, { book: '/books/99', body: 'x' })).status).toBe(400);

    const patched = await call('PATCH', '/notes/1', alice, { body: 'Spice must flow' });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { body: string }).body).toBe('Spice must flow');
    expect((await call('DELETE', '/notes/1', alice)).status).toBe(204);
    expect((await call('GET', '/notes/1', alice)).status).toBe(404);
  });

  it('delivers a note’s updates to its owner only, by cookie and by header token', async () => {
    await start();
    await publicMarker('Dune');
    const alice = await login('alice');
    const bob = await login('bob');
    const aliceToken = alice.get('mercureAuthorization')!;

    const aliceByCookie = await hub(everything, cookieOf(alice));
    const aliceByHeader = await hub(`topic=${encodeURIComponent(`${PUBLIC_URL}/users/alice/notes`)}`, { Authorization: `Bearer ${aliceToken}` });
    const bobAll = await hub(everything, cookieOf(bob));
    const bobTemplate = await hub(`topic=${encodeURIComponent(`${PUBLIC_URL}/notes/{id}`)}&topic=${encodeURIComponent(`${PUBLIC_URL}/users/{user}/notes`)}&topic=${encodeURIComponent(`${PUBLIC_URL}/books/{id}`)}`, cookieOf(bob));
    const anonymous = await hub(everything);

    await createNote(alice, 'Spice');
    expect((await call('PATCH', '/notes/1', alice, { body: 'Spice must flow' })).status).toBe(200);
    expect((await call('DELETE', '/notes/1', alice)).status).toBe(204);
    await publicMarker('After the notes');

    const created = { '@id': '/notes/1', '@type': 'Note', id: 1, book: '/books/1', body: 'Spice' };
    for (const stream of [aliceByCookie, aliceByHeader]) {
      const events = (await stream.events(3)).map((e) => JSON.parse(e.data));
      expect(events).toEqual([created, { ...created, body: 'Spice must flow' }, { '@id': '/notes/1', '@type': 'Note' }]);
    }
    expect(JSON.parse((await aliceByCookie.nextEvent()).data).title).toBe('After the notes');
    // Every other subscriber's next event is the public marker: nothing of Alice's notes came first.
    for (const stream of [bobAll, bobTemplate, anonymous]) {
      expect(JSON.parse((await stream.nextEvent()).data).title).toBe('After the notes');
    }

    // Nor does a replay of the history give them to anyone else.
    for (const headers of [cookieOf(bob), {}]) {
      const replay = await hub(everything, { ...headers, 'Last-Event-ID': 'earliest' });
      const titles = (await replay.events(2)).map((e) => JSON.parse(e.data)['@type']);
      expect(titles).toEqual(['Book', 'Book']);
    }
    const aliceReplay = await hub(everything, { ...cookieOf(alice), 'Last-Event-ID': 'earliest' });
    expect((await aliceReplay.events(5)).map((e) => JSON.parse(e.data)['@type'])).toEqual(['Book', 'Note', 'Note', 'Note', 'Book']);
  });

  it('publishes the deletions of a book’s notes to their owner when the book goes', async () => {
    await start();
    await publicMarker('Dune');
    const alice = await login('alice');
    const stream = await hub(`topic=${encodeURIComponent(`${PUBLIC_URL}/users/alice/notes`)}`, cookieOf(alice));
    await createNote(alice, 'Spice');
    expect((await call('DELETE', '/books/1')).status).toBe(204);
    expect((await stream.events(2)).map((e) => JSON.parse(e.data))).toEqual([
      expect.objectContaining({ '@id': '/notes/1', body: 'Spice' }),
      { '@id': '/notes/1', '@type': 'Note' },
    ]);
  });

  it('closes a stream when its token expires; a renewed cookie and Last-Event-ID catch up on what was missed', async () => {
    await start({ SUBSCRIBER_TOKEN_LIFETIME: '2' });
    await publicMarker('Dune');
    const alice = await login('alice');
    const topic = `topic=${encodeURIComponent(`${PUBLIC_URL}/users/alice/notes`)}`;
    const first = await hub(topic, cookieOf(alice));
    await createNote(alice, 'Before expiry');
    const seen = await first.nextEvent();

    await first.ended; // the hub ends the stream at the token's expiry
    await createNote(alice, 'While disconnected');
    // The expired cookie no longer opens a stream.
    const refused = await fetch(`${sample.url}${HUB_PATH}?${topic}`, { headers: cookieOf(alice) });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();

    const refreshed = await call('POST', '/login/refresh', alice);
    expect(refreshed.status).toBe(200);
    alice.take(refreshed);
    expect(await refreshed.json()).toEqual({ user: 'alice', expiresAt: expect.any(String), lifetime: 2 });
    const second = await hub(topic, { ...cookieOf(alice), 'Last-Event-ID': seen.id! });
    expect(JSON.parse((await second.nextEvent()).data).body).toBe('While disconnected');

    expect((await call('POST', '/login/refresh')).status).toBe(401);
  });

  it('starts with a MERCURE_JWT_SECRET too short for HS256, warning without echoing it, and its tokens work', async () => {
    const weak = 'short-secret'; // 12 bytes, like the secrets tools and hubs are often given
    const app = await spawnSampleApp(await freePort(), { MERCURE_JWT_SECRET: weak, SQLITE_PATH: ':memory:', PUBLIC_URL });
    try {
      expect(app.output()).toMatch(/MERCURE_JWT_SECRET is shorter than 32 bytes, too weak for HS256/);
      expect(app.output()).not.toContain(weak);
      const login = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"user":"alice"}' });
      expect(login.status).toBe(204);
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('mercureAuthorization='))!.split(';')[0];
      const { payload } = await jwtVerify(cookie.split('=')[1], new TextEncoder().encode(weak), { algorithms: ['HS256'] });
      expect(payload.mercure).toEqual({ subscribe: [`${PUBLIC_URL}/users/alice/notes`] });
      // The embedded hub verifies with the same short secret: the cookie receives a private update.
      const topic = `${PUBLIC_URL}/users/alice/notes`;
      const stream = await subscribe(`${app.url}/.well-known/mercure?topic=${encodeURIComponent(topic)}`, { Cookie: cookie });
      try {
        const publisher = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(weak));
        const published = await fetch(`${app.url}/.well-known/mercure`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ topic, data: 'for alice', private: 'on' }),
        });
        expect(published.status).toBe(200);
        expect((await stream.nextEvent()).data).toBe('for alice');
      } finally {
        stream.close();
      }
    } finally {
      await app.kill('SIGTERM');
    }
  });
});
