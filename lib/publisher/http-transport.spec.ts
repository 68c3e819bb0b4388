import { jwtVerify } from 'jose';
import { encodeUpdate, encodeUpdateBody, HttpTransport, parseRetryAfter } from './http-transport';
import { FakeHub, field, freePort, startFakeHub } from '../../test/support/fake-hub';
import { PublishQueue } from './publish-queue';
import { HubDeliveryError } from './publish-transport';
import { createTokenProvider } from './token-provider';
import { Update } from './update';

const TOKEN = 'header.payload.signature-that-must-stay-secret';
const SECRET = '!ChangeThisMercureHubJWTSecretKey!';

async function failure(promise: Promise<unknown>): Promise<HubDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubDeliveryError);
  return error as HubDeliveryError;
}

describe('encodeUpdate', () => {
  it('writes the fields in Symfony order: topic*, data, private, id, type, retry', () => {
    const update = new Update(['https://example.com/books/1', 'https://example.com/books/{id}'], 'a b&c=d\né', {
      private: true,
      id: 'urn:uuid:1',
      type: 'book',
      retry: 1500,
    });
    expect(encodeUpdate(update)).toBe(
      'topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&topic=https%3A%2F%2Fexample.com%2Fbooks%2F%7Bid%7D' +
        '&data=a+b%26c%3Dd%0A%C3%A9&private=on&id=urn%3Auuid%3A1&type=book&retry=1500',
    );
  });

  it('writes the body URLSearchParams writes, whatever the fields contain', () => {
    // The general serializer, field by field in the same order: the oracle for the fast path.
    const reference = (update: Update): string => {
      const form = new URLSearchParams();
      for (const topic of update.topics) form.append('topic', topic);
      form.append('data', update.data);
      if (update.private) form.append('private', 'on');
      if (update.id !== undefined) form.append('id', update.id);
      if (update.type !== undefined) form.append('type', update.type);
      if (update.retry !== undefined) form.append('retry', String(update.retry));
      return form.toString();
    };
    const tricky = 'a&b=c+d e\nf\r\ng%20é€😀\ud800~!\'()*';
    const updates = [
      new Update([`https://example.com/${tricky}`, 'urn:x:{id}', tricky], `{"text":${JSON.stringify(tricky)}}\n${tricky}`, {
        private: true,
        id: `id ${tricky}`,
        type: `type ${tricky}`,
        retry: 1e21,
      }),
      new Update('plain', 'plain'),
      new Update(['same', 'same'], '', { retry: 0, id: '', type: '' }),
    ];
    for (const update of updates) {
      expect(encodeUpdate(update)).toBe(reference(update));
      expect(encodeUpdateBody(update).equals(Buffer.from(reference(update)))).toBe(true);
    }
  });

  it('always sends data, omits what is unset, and keeps a zero retry', () => {
    expect(encodeUpdate(new Update('t'))).toBe('topic=t&data=');
    expect(encodeUpdate(new Update('t', '', { private: false, retry: 0 }))).toBe('topic=t&data=&retry=0');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('HttpTransport', () => {
  let hub: FakeHub;
  let transport: HttpTransport | undefined;

  beforeEach(async () => {
    hub = await startFakeHub();
  });

  afterEach(async () => {
    await transport?.close();
    transport = undefined;
    await hub.close();
  });

  it('POSTs the form with exact headers and resolves with the id', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('urn:uuid:42');
    };
    transport = new HttpTransport({ url: `${hub.url}?tenant=1`, token: async () => TOKEN });
    const update = new Update(['https://example.com/books/1', 'https://example.com/all'], '{"title":"Dune"}', {
      private: true,
      id: 'my-id',
    });

    await expect(transport.send(update)).resolves.toBe('urn:uuid:42');

    expect(hub.requests).toHaveLength(1);
    const [request] = hub.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/.well-known/mercure?tenant=1');
    expect(request.body).toBe(
      'topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&topic=https%3A%2F%2Fexample.com%2Fall' +
        '&data=%7B%22title%22%3A%22Dune%22%7D&private=on&id=my-id',
    );
    expect(request.fields).toEqual([
      ['topic', 'https://example.com/books/1'],
      ['topic', 'https://example.com/all'],
      ['data', '{"title":"Dune"}'],
      ['private', 'on'],
      ['id', 'my-id'],
    ]);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    // One of each, no duplicates.
    const names = request.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names.filter((n) => n === 'authorization')).toHaveLength(1);
    expect(names.filter((n) => n === 'content-type')).toHaveLength(1);
  });

  it('sends no Authorization header without a token', async () => {
    transport = new HttpTransport({ url: hub.url });
    await transport.send(new Update('t', 'x'));
    expect(hub.requests[0].headers.authorization).toBeUndefined();
  });

  it('sends a JWT the hub can verify with the secret and the explicit algorithm', async () => {
    transport = new HttpTransport({
      url: hub.url,
      token: createTokenProvider({ secret: SECRET, publish: ['https://example.com/{+any}'] }, 'jwt'),
    });
    await transport.send(new Update('https://example.com/books/1', 'x'));
    await transport.send(new Update('https://example.com/books/2', 'y'));

    const bearer = hub.requests.map((r) => r.headers.authorization);
    expect(bearer[0]).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(bearer[1]).toBe(bearer[0]);
    const { payload, protectedHeader } = await jwtVerify(bearer[0]!.slice(7), new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.mercure).toEqual({ publish: ['https://example.com/{+any}'] });
  });

  it('calls a token factory for every request', async () => {
    let calls = 0;
    transport = new HttpTransport({
      url: hub.url,
      token: createTokenProvider(() => `rotating-${++calls}`, 'jwt'),
    });
    for (let i = 0; i < 3; i++) {
      await transport.send(new Update('t', String(i)));
    }
    expect(calls).toBe(3);
    expect(hub.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer rotating-1',
      'Bearer rotating-2',
      'Bearer rotating-3',
    ]);
  });

  it('sends the token of each request, whether the provider hands back a settled promise again or a new one', async () => {
    // A fixed or cached token comes back as the same promise, a rotated one as a new promise.
    const one = Promise.resolve('token-one-secret');
    const two = Promise.resolve('token-two-secret');
    const given = [one, one, two, two, one, Promise.resolve('token-three-secret')];
    let call = 0;
    transport = new HttpTransport({ url: hub.url, token: () => given[call++] });
    for (let i = 0; i < given.length; i++) {
      await transport.send(new Update('t', String(i)));
    }
    // Concurrent sends on a settled promise, and on one still pending.
    let release!: (token: string) => void;
    const later = new Promise<string>((resolve) => (release = resolve));
    given.push(one, one, later, later);
    const sends = [0, 1, 2, 3].map((i) => transport!.send(new Update('t', `c${i}`)));
    release('token-four-secret');
    await Promise.all(sends);

    expect(call).toBe(given.length);
    const byData = new Map(hub.requests.map((r) => [field(r, 'data')[0], r.headers.authorization]));
    expect([...'012345'].map((i) => byData.get(i))).toEqual(
      ['one', 'one', 'two', 'two', 'one', 'three'].map((name) => `Bearer token-${name}-secret`),
    );
    expect(['c0', 'c1', 'c2', 'c3'].map((i) => byData.get(i))).toEqual(
      ['one', 'one', 'four', 'four'].map((name) => `Bearer token-${name}-secret`),
    );
  });

  it('keeps a token given as a settled promise out of errors', async () => {
    hub.handler = (req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      // The bare token, not "Bearer ...": only the transport's own redaction of it can hide it.
      res.end(`you sent ${String(req.headers.authorization).slice('Bearer '.length)}`);
    };
    const token = Promise.resolve('opaque-token-that-is-secret');
    transport = new HttpTransport({ url: hub.url, token: () => token });
    for (let i = 0; i < 2; i++) {
      const error = await failure(transport.send(new Update('t')));
      expect(error.message).not.toContain('opaque-token-that-is-secret');
      expect(error.body).not.toContain('opaque-token-that-is-secret');
    }
  });

  it('reuses keep-alive connections', async () => {
    transport = new HttpTransport({ url: hub.url, connections: 4 });
    for (let i = 0; i < 50; i++) {
      await transport.send(new Update('t', String(i)));
    }
    expect(hub.requests).toHaveLength(50);
    // Undici may open a second connection while the first is being released; not one per request.
    expect(hub.connections).toBeLessThanOrEqual(2);
  });

  it.each([
    [503, true],
    [500, true],
    [429, true],
    [401, false],
    [403, false],
    [400, false],
    [404, false],
  ])('maps status %i to retryable=%s, with URL, status and body but not the token', async (status, retryable) => {
    hub.handler = (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`hub says ${status}`);
    };
    transport = new HttpTransport({ url: hub.url, token: async () => TOKEN });
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.body).toBe(`hub says ${status}`);
    expect(error.message).toContain(hub.url);
    expect(error.message).toContain(String(status));
    expect(error.message).toContain(`hub says ${status}`);
    expect(error.message).not.toContain(TOKEN);
    expect(hub.requests).toHaveLength(1);
  });

  it('reads an id sent in several chunks, without a byte order mark', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write(Buffer.from([0xef, 0xbb, 0xbf]));
      res.write('urn:uuid:');
      setTimeout(() => res.end('é-42'), 20);
    };
    transport = new HttpTransport({ url: hub.url });
    await expect(transport.send(new Update('t'))).resolves.toBe('urn:uuid:é-42');
  });

  it('exposes Retry-After on retryable answers', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '7' });
      res.end();
    };
    transport = new HttpTransport({ url: hub.url });
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryAfter).toBe(7000);
  });

  it('truncates a long body in the message', async () => {
    const body = 'x'.repeat(10_000);
    hub.handler = (_req, res) => {
      res.writeHead(502);
      res.end(body);
    };
    transport = new HttpTransport({ url: hub.url });
    const error = await failure(transport.send(new Update('t')));
    expect(error.message.length).toBeLessThan(400);
    expect(error.body!.length).toBeLessThan(body.length);
  });

  it('never lets a hub echo the token, or anything JWT-shaped, into errors or logs', async () => {
    const other = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    hub.handler = (req, res) => {
      res.writeHead(401);
      // Quoted the way a debugging proxy might: the header, the bare token, and someone else's JWT.
      res.end(`bad request: authorization=${req.headers.authorization}; token=${String(req.headers.authorization).slice(7)}; seen ${other}`);
    };
    transport = new HttpTransport({ url: hub.url, token: createTokenProvider({ secret: 'a-secret-long-enough-for-hs256!!' }, 'jwt') });
    const logged: string[] = [];
    const queue = new PublishQueue(transport, { hubName: 'default', logger: { log: () => undefined, error: (m: string) => logged.push(m), warn: (m: string) => logged.push(m) } });
    const error = (await queue.enqueue(new Update('t')).catch((e) => e)) as HubDeliveryError;
    const token = String(hub.requests[0].headers.authorization).slice(7);
    expect(token.split('.')).toHaveLength(3);
    for (const text of [error.message, error.body!, ...logged]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(other);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    }
    expect(error.message).toContain('401');
    expect(error.message).toContain('Bearer [redacted]');
    expect(logged).toHaveLength(1);
  });

  it('keeps URL credentials out of messages', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(401);
      res.end('no');
    };
    transport = new HttpTransport({ url: hub.url.replace('http://', 'http://user:hunter2@') });
    const error = await failure(transport.send(new Update('t')));
    expect(error.message).not.toContain('hunter2');
  });

  it('reports a refused connection as retryable', async () => {
    transport = new HttpTransport({ url: `http://127.0.0.1:${await freePort()}/.well-known/mercure`, token: async () => TOKEN });
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(TOKEN);
  });

  it('times out when the hub does not answer', async () => {
    hub.handler = () => {
      /* never answers */
    };
    transport = new HttpTransport({ url: hub.url, timeout: 200, token: async () => TOKEN });
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('timed out');
    expect(error.message).not.toContain(TOKEN);
  });

  it('reports a failing token source as a retryable error, without sending', async () => {
    transport = new HttpTransport({
      url: hub.url,
      token: async () => {
        throw new Error('vault unavailable');
      },
    });
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('vault unavailable');
    expect(hub.requests).toHaveLength(0);
  });

  it('refuses to send once closed', async () => {
    transport = new HttpTransport({ url: hub.url });
    await transport.send(new Update('t'));
    await transport.close();
    const error = await failure(transport.send(new Update('t')));
    expect(error.retryable).toBe(false);
    expect(hub.requests).toHaveLength(1);
  });

  it('validates its options', () => {
    expect(() => new HttpTransport({ url: 'not a url' })).toThrow('URL');
    expect(() => new HttpTransport({ url: 'ftp://hub/' })).toThrow('http');
    expect(() => new HttpTransport({ url: hub.url, timeout: 0 })).toThrow('timeout');
  });

  it('gives field() the repeated topics in order', async () => {
    transport = new HttpTransport({ url: hub.url });
    await transport.send(new Update(['a', 'b', 'c'], ''));
    expect(field(hub.requests[0], 'topic')).toEqual(['a', 'b', 'c']);
    expect(field(hub.requests[0], 'data')).toEqual(['']);
  });
});
