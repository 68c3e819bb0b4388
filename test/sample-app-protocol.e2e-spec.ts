import { matchUrl } from './hub/access-token';
import { SseConnection, subscribe } from './hub/sse-client';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

/**
 * The sample app's MERCURE_HUB_PROTOCOL contract over HTTP with real SSE: which cookies sign-in
 * sets, and that 1.0 clients (cookie, `match=`) and 1.0 publishers work end to end.
 */
const SECRET = 'protocol-e2e-secret-of-enough-bytes!!';
const PUBLIC_URL = 'http://localhost';
const HUB_PATH = '/.well-known/mercure';
const NOTES = (user: string) => `${PUBLIC_URL}/users/${user}/notes`;

describe('sample app: Mercure protocol versions', () => {
  const apps: RunningSampleApp[] = [];
  const streams: SseConnection[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await startSampleApp({ MERCURE_JWT_SECRET: SECRET, PUBLIC_URL, MERCURE_DELIVERY: 'memory', ...env });
    apps.push(app);
    return app;
  };
  const cookiesOf = (response: Response) =>
    response.headers.getSetCookie().map((h) => ({ name: h.split('=')[0], pair: h.split(';')[0], secure: /;\s*Secure/i.test(h), header: h }));
  const login = async (app: RunningSampleApp, user: string) => {
    const response = await app.request('POST', '/login', { user });
    expect(response.status).toBe(204);
    return cookiesOf(response);
  };

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    for (const app of apps.splice(0)) await app.app.close();
  });

  it('both (the default): sign-in sets mercureAuthorization and the 1.0 cookie; sign-out expires both', async () => {
    const app = await start({});
    expect((await app.request('GET', '/books')).headers.get('link')).toBe(`<${PUBLIC_URL}${HUB_PATH}>; rel="mercure"`);
    const cookies = await login(app, 'alice');
    expect(cookies.map((c) => c.name)).toEqual(['session', 'mercureAuthorization', '__Secure-mercure_access_token']);
    expect(cookies[2].secure).toBe(true);
    expect(cookies[2].header).toMatch(new RegExp(`Path=${HUB_PATH}`));
    const logout = cookiesOf(await app.request('POST', '/logout'));
    expect(logout.filter((c) => /Max-Age=0/.test(c.header)).map((c) => c.name)).toEqual(['session', 'mercureAuthorization', '__Secure-mercure_access_token']);
  });

  it('0.x: only mercureAuthorization', async () => {
    const app = await start({ MERCURE_HUB_PROTOCOL: '0.x' });
    expect((await login(app, 'alice')).map((c) => c.name)).toEqual(['session', 'mercureAuthorization']);
  });

  it('rejects an unknown MERCURE_HUB_PROTOCOL, naming it', async () => {
    await expect(start({ MERCURE_HUB_PROTOCOL: '2.0' })).rejects.toThrow(/MERCURE_HUB_PROTOCOL/);
  });

  it('1.0: only the 1.0 cookie, which receives the private note updates on a match= subscription', async () => {
    const app = await start({ MERCURE_HUB_PROTOCOL: '1.0' });
    const cookies = await login(app, 'alice');
    expect(cookies.map((c) => c.name)).toEqual(['session', '__Secure-mercure_access_token']);
    const session = cookies.find((c) => c.name === 'session')!.pair;
    const access = cookies.find((c) => c.name === '__Secure-mercure_access_token')!.pair;

    const hubUrl = app.url + HUB_PATH;
    const owner = await subscribe(matchUrl(hubUrl, [['match', NOTES('alice')]]), { Cookie: access });
    const anonymous = await subscribe(matchUrl(hubUrl, [['match', NOTES('alice')], ['match_urlpattern', `${PUBLIC_URL}/books/:id`]]));
    streams.push(owner, anonymous);
    expect(owner.headers['mercure-last-event-id']).toBeDefined();

    const book = (await (await app.request('POST', '/books', { title: 'Dune', author: 'Herbert' })).json()) as Record<string, string>;
    const created = await fetch(`${app.url}/notes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: session },
      body: JSON.stringify({ book: book['@id'], body: 'private' }),
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as Record<string, string>;
    const received = await owner.nextEvent();
    expect(JSON.parse(received.data)).toMatchObject({ '@id': note['@id'], body: 'private' });
    // The anonymous subscriber got the public book, never the note.
    expect(JSON.parse((await anonymous.nextEvent()).data)['@id']).toBe(book['@id']);
    await app.request('POST', '/books', { title: 'Marker', author: 'm' });
    expect(JSON.parse((await anonymous.nextEvent()).data).title).toBe('Marker');

    // Discovery carries the 1.0 attributes; the RFC 9728 metadata names the hub's resource.
    expect((await app.request('GET', '/books')).headers.get('link')).toBe(
      `<${PUBLIC_URL}${HUB_PATH}>; rel="mercure"; content-type="application/ld+json"`,
    );
    const metadata = await (await fetch(`${app.url}/.well-known/oauth-protected-resource${HUB_PATH}`)).json();
    expect(metadata).toMatchObject({ resource: `${PUBLIC_URL}${HUB_PATH}`, authorization_servers: [PUBLIC_URL] });

    // 0.x requests are refused by a 1.0-only hub.
    expect((await fetch(`${hubUrl}?topic=${encodeURIComponent(NOTES('alice'))}`)).status).toBe(400);
  });

  it("1.0 publisher tokens: an app publishing to another app's 1.0 hub over HTTP", async () => {
    const audience = `${PUBLIC_URL}${HUB_PATH}`;
    const hubApp = await start({ MERCURE_HUB_PROTOCOL: '1.0', MERCURE_HUB_ISSUER: 'https://issuer.test', MERCURE_HUB_AUDIENCE: audience });
    const hubUrl = hubApp.url + HUB_PATH;
    const publisherApp = await start({
      MERCURE_HUB_PROTOCOL: '1.0',
      MERCURE_HUB_ISSUER: 'https://issuer.test',
      MERCURE_HUB_AUDIENCE: audience,
      MERCURE_PUBLISH_URL: hubUrl,
      PUBLIC_URL: 'http://publisher.test',
    });
    const sse = await subscribe(matchUrl(hubUrl, [['match_urlpattern', 'http://publisher.test/books/:id']]));
    streams.push(sse);
    const book = (await (await publisherApp.request('POST', '/books', { title: 'Published with at+jwt', author: 'a' })).json()) as Record<string, string>;
    expect(JSON.parse((await sse.nextEvent()).data)).toMatchObject({ '@id': book['@id'], title: 'Published with at+jwt' });
  });
});
