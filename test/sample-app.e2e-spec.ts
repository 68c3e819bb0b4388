import { jwtVerify } from 'jose';
import { HubSink } from './support/hub-sink';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const PUBLIC_URL = 'http://books.test';

describe('sample app publishing to an external hub', () => {
  let sink: HubSink;
  let sample: RunningSampleApp;

  beforeEach(async () => {
    sink = new HubSink();
    await sink.start();
    sample = await startSampleApp({ MERCURE_PUBLISH_URL: sink.url, MERCURE_JWT_SECRET: SECRET, PUBLIC_URL });
  });

  afterEach(async () => {
    await sample.app.close();
    await sink.stop();
  });

  async function json(response: Response): Promise<any> {
    return JSON.parse(await response.text());
  }

  it('publishes a create with the exact wire format and a JWT the hub can verify', async () => {
    const created = await sample.request('POST', '/books', { title: 'Dune', author: 'Frank Herbert' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/books/1');
    await sink.waitForCount(1);

    const [request] = sink.received;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const document = await json(await sample.request('GET', '/books/1'));
    expect(document).toEqual({ '@id': '/books/1', '@type': 'Book', id: 1, title: 'Dune', author: 'Frank Herbert', isbn: null, reviews: [] });
    // Symfony's field order; the data is byte for byte what GET returns.
    // The outbox gives every update an id of its own, the same on every attempt.
    expect(request.fields).toEqual([
      ['topic', `${PUBLIC_URL}/books/1`],
      ['data', JSON.stringify(document)],
      ['id', expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/)],
    ]);
    expect(request.body).toBe(new URLSearchParams(request.fields).toString());

    const token = String(request.headers.authorization).replace(/^Bearer /, '');
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ mercure: { publish: ['*'] } });
  });

  it('publishes the final state of an update, merge patch included, and a bare delete', async () => {
    await sample.request('POST', '/books', { title: 'Dune' });
    const patched = await sample.request('PATCH', '/books/1', { author: 'F. Herbert', isbn: '978-0441013593' }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const afterPatch = await sample.request('GET', '/books/1').then((r) => r.text());
    const deleted = await sample.request('DELETE', '/books/1');
    expect(deleted.status).toBe(204);
    await sink.waitForCount(3);

    expect(sink.received.map((r) => r.fields)).toEqual([
      [['topic', `${PUBLIC_URL}/books/1`], ['data', expect.any(String)], ['id', expect.any(String)]],
      [['topic', `${PUBLIC_URL}/books/1`], ['data', afterPatch], ['id', expect.any(String)]],
      [['topic', `${PUBLIC_URL}/books/1`], ['data', '{"@id":"/books/1","@type":"Book"}'], ['id', expect.any(String)]],
    ]);
    expect((await sample.request('GET', '/books/1')).status).toBe(404);
  });

  it('publishes reviews with their book as an IRI, and each deletion when a book goes', async () => {
    await sample.request('POST', '/books', { title: 'Dune' });
    const review = await sample.request('POST', '/reviews', { book: '/books/1', rating: 5, body: 'Spice!' });
    expect(review.status).toBe(201);
    expect(await json(review)).toEqual({ '@id': '/reviews/1', '@type': 'Review', id: 1, book: '/books/1', rating: 5, body: 'Spice!' });
    await sink.waitForCount(3);
    const bookAfterReview = await json(await sample.request('GET', '/books/1'));
    expect(bookAfterReview.reviews).toEqual(['/reviews/1']);
    expect((await sample.request('DELETE', '/books/1')).status).toBe(204);
    await sink.waitForCount(5);

    const updates = sink.updates();
    expect(updates[1]).toEqual({ topics: [`${PUBLIC_URL}/reviews/1`], private: false, data: expect.objectContaining({ book: '/books/1' }) });
    // The review's create also published its book, as GET answers it after the commit.
    expect(updates[2]).toEqual({ topics: [`${PUBLIC_URL}/books/1`], private: false, data: bookAfterReview });
    // Deleting the book deletes its review: the book publishes only its delete.
    expect(updates.slice(3).map((u) => u.data)).toEqual(
      expect.arrayContaining([
        { '@id': '/reviews/1', '@type': 'Review' },
        { '@id': '/books/1', '@type': 'Book' },
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sink.received).toHaveLength(5);
    expect((await sample.request('GET', '/reviews/1')).status).toBe(404);
  });

  it('answers 400 for invalid input and 404 for unknown ids, and publishes nothing for them', async () => {
    const noTitle = await sample.request('POST', '/books', { author: 'Nobody' });
    expect(noTitle.status).toBe(400);
    expect(JSON.stringify(await json(noTitle))).toContain('title');
    expect((await sample.request('POST', '/books', { title: 42 })).status).toBe(400);
    expect((await sample.request('POST', '/books', { title: 'a\u0000b' })).status).toBe(400);
    await sample.request('POST', '/books', { title: 'Dune' });
    expect((await sample.request('PATCH', '/books/1', { title: null }, 'application/merge-patch+json')).status).toBe(400);
    expect((await sample.request('PATCH', '/books/1', { title: '' })).status).toBe(400);
    expect((await sample.request('POST', '/reviews', { book: '/books/1', rating: 6 })).status).toBe(400);
    const badIri = await sample.request('POST', '/reviews', { book: '/reviews/1', rating: 3 });
    expect(badIri.status).toBe(400);
    expect(JSON.stringify(await json(badIri))).toContain('IRI of a book');
    expect((await sample.request('POST', '/reviews', { book: '/books/99', rating: 3 })).status).toBe(400);
    // An id past the safe integers is no id (not Infinity in SQL).
    expect((await sample.request('POST', '/reviews', { book: `/books/${'9'.repeat(400)}`, rating: 3 })).status).toBe(400);
    expect((await sample.request('GET', `/books/${'9'.repeat(400)}`)).status).toBe(404);
    const deep = await fetch(`${sample.url}/reviews`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"book":${'['.repeat(3000)}${']'.repeat(3000)},"rating":3}`,
    });
    expect(deep.status).toBe(400);
    const malformed = await fetch(`${sample.url}/books`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"title":' });
    expect(malformed.status).toBe(400);
    for (const path of ['/books/99', '/books/abc', '/reviews/99', '/books/0']) {
      expect((await sample.request('GET', path)).status).toBe(404);
    }
    expect((await sample.request('DELETE', '/books/99')).status).toBe(404);

    await sink.waitForCount(1);
    expect(sink.received).toHaveLength(1); // only the valid POST
  });

  it('advertises the hub on every route, errors included, readable across origins', async () => {
    const link = `<${sink.url}>; rel="mercure"`;
    const post = (body: string, type = 'application/json') =>
      fetch(`${sample.url}/books`, { method: 'POST', headers: { 'Content-Type': type }, body });
    const responses = await Promise.all([
      fetch(`${sample.url}/books`, { headers: { Origin: 'https://app.example.com' } }),
      sample.request('GET', '/books/99'),
      sample.request('POST', '/books', {}),
      sample.request('GET', '/reviews'),
      post('{"title":'), // answered by the body parser, before any Nest handler
      post('null'),
      fetch(`${sample.url}/books/%ZZ`), // answered by Express's URL decoding
      post('<book/>', 'application/xml'),
      sample.request('GET', '/nothing-here'), // no route: answered without any Nest handler
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 404, 400, 200, 400, 400, 400, 415, 404]);
    for (const response of responses) expect(response.headers.get('link')).toBe(link);
    expect(responses[0].headers.get('access-control-expose-headers')).toContain('Link');
  });

  it('signs in with 204 and both cookies when the hub shares no parent domain with PUBLIC_URL', async () => {
    // The hub stand-in is on 127.0.0.1, the API on books.test: no cookie of the API reaches the hub in
    // a browser, so the subscriber cookie is host-only, and the sign-in still succeeds.
    const login = await sample.request('POST', '/login', { user: 'alice' });
    expect(login.status).toBe(204);
    const cookies = login.headers.getSetCookie();
    // MERCURE_HUB_PROTOCOL is `both`, and a loopback hub takes the `__Secure-` 1.0 cookie over http.
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['session', 'mercureAuthorization', '__Secure-mercure_access_token']);
    for (const cookie of cookies.slice(1)) expect(cookie).not.toMatch(/Domain=/);
    expect(cookies[1]).toMatch(/; Path=\/\.well-known\/mercure;.*HttpOnly/);
    const token = cookies[1].split(';')[0].slice('mercureAuthorization='.length);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(payload.mercure).toEqual({ subscribe: [`${PUBLIC_URL}/users/alice/notes`] });
    const logout = await sample.request('POST', '/logout');
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie().filter((c) => /Max-Age=0/.test(c)).map((c) => c.split('=')[0])).toEqual([
      'session',
      'mercureAuthorization',
      '__Secure-mercure_access_token',
    ]);
  });

  it('delivers pending updates before the app shuts down', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    sink.respondWith(() => ({ status: 200, hold: gate }));
    for (const title of ['A', 'B', 'C']) {
      expect((await sample.request('POST', '/books', { title })).status).toBe(201);
    }
    const closing = sample.app.close();
    expect(sink.received).toHaveLength(0); // the hub has answered nothing yet
    open();
    await closing;
    expect(sink.received.map((r) => r.fields[0][1])).toEqual([1, 2, 3].map((id) => `${PUBLIC_URL}/books/${id}`));
  });
});

describe('sample app discovery settings', () => {
  it('advertises MERCURE_SUBSCRIBE_URL when it is set', async () => {
    const sink = new HubSink();
    await sink.start();
    const sample = await startSampleApp({
      MERCURE_PUBLISH_URL: sink.url,
      MERCURE_SUBSCRIBE_URL: 'https://public-hub.example.com/.well-known/mercure',
      MERCURE_JWT_TOKEN: 'a-ready-made-token',
    });
    try {
      const response = await sample.request('POST', '/books', { title: 'Dune' });
      expect(response.headers.get('link')).toBe('<https://public-hub.example.com/.well-known/mercure>; rel="mercure"');
      await sink.waitForCount(1);
      expect(sink.received[0].headers.authorization).toBe('Bearer a-ready-made-token');
    } finally {
      await sample.app.close();
      await sink.stop();
    }
  });
});
