import { generateKeyPairSync } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import express from 'express';
import Fastify from 'fastify';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { MercureHubModuleOptions } from '../hub/mercure-hub.options';
import { resolveMercureOptions } from '../mercure-options.resolver';
import type { MercureModuleOptions } from '../mercure.options';
import { createHubRegistry } from '../mercure.providers';
import { resolveHubAuthorizations } from './hub-authorization';
import { MercureAuthorization } from './mercure-authorization';
import type { MercureAuthorizationModuleOptions } from './mercure-authorization.options';

const SECRET = 'a-subscriber-secret-of-32-bytes!';
const KEY = new TextEncoder().encode(SECRET);

/** The service as the module builds it, from the same option resolvers. */
function authorization(
  mercure: MercureModuleOptions,
  options: MercureAuthorizationModuleOptions = {},
  embedded?: MercureHubModuleOptions,
): MercureAuthorization {
  const resolved = resolveMercureOptions(mercure, {});
  const localHub = embedded ? { path: embedded.path ?? '/.well-known/mercure', publish: async () => 'id' } : undefined;
  const registry = createHubRegistry(resolved, localHub);
  return new MercureAuthorization(resolveHubAuthorizations(options, resolved, registry, embedded), resolved.defaultHub, resolved.baseUrl);
}

const embeddedHub = (options: MercureAuthorizationModuleOptions = {}, hub: MercureHubModuleOptions = { publisherJwt: { key: SECRET } }) =>
  authorization({ baseUrl: 'http://api.test' }, options, hub);

/** `name=value` and the attributes of a Set-Cookie header, attribute names lower-cased. */
function parseCookie(header: string) {
  const [pair, ...attributes] = header.split(/;\s*/);
  const eq = pair.indexOf('=');
  const attrs: Record<string, string | true> = {};
  for (const attribute of attributes) {
    const [name, ...value] = attribute.split('=');
    attrs[name.toLowerCase()] = value.length ? value.join('=') : true;
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('MercureAuthorization on real responses', () => {
  const service = embeddedHub();
  const grant = { subscribe: ['/users/alice/notes'] };

  async function expectLoginAndLogout(base: string) {
    const login = await fetch(`${base}/login`, { method: 'POST' });
    expect(login.status).toBe(204);
    const cookies = login.headers.getSetCookie().map(parseCookie);
    // The app's own cookie is kept next to the subscriber cookie.
    expect(cookies.map((c) => c.name)).toEqual(['session', 'mercureAuthorization']);
    const { value, attrs } = cookies[1];
    expect(attrs).toEqual({
      path: '/.well-known/mercure',
      expires: expect.any(String),
      'max-age': '3600',
      httponly: true,
      samesite: 'Strict',
    });
    const { payload, protectedHeader } = await jwtVerify(value, KEY, { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.mercure).toEqual({ subscribe: ['http://api.test/users/alice/notes'] });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(Math.abs(Date.parse(attrs.expires as string) / 1000 - payload.exp!)).toBeLessThanOrEqual(1);

    const logout = await fetch(`${base}/logout`, { method: 'POST' });
    const [cleared] = logout.headers.getSetCookie().map(parseCookie);
    expect(cleared).toEqual({
      name: 'mercureAuthorization',
      value: '',
      attrs: { path: '/.well-known/mercure', expires: 'Thu, 01 Jan 1970 00:00:00 GMT', 'max-age': '0', httponly: true, samesite: 'Strict' },
    });
  }

  it('sets and clears the cookie on an Express response', async () => {
    const app = express();
    app.post('/login', async (_req, res) => {
      res.cookie('session', 'abc');
      await service.setCookie(res, grant);
      res.status(204).end();
    });
    app.post('/logout', (_req, res) => {
      service.clearCookie(res);
      res.status(204).end();
    });
    const server = http.createServer(app);
    try {
      await expectLoginAndLogout(await listen(server));
    } finally {
      server.close();
    }
  });

  it('sets and clears the cookie on a Fastify reply', async () => {
    const app = Fastify();
    app.post('/login', async (_req, reply) => {
      reply.header('set-cookie', 'session=abc; Path=/');
      await service.setCookie(reply, grant);
      reply.code(204).send();
    });
    app.post('/logout', async (_req, reply) => {
      service.clearCookie(reply);
      reply.code(204).send();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await expectLoginAndLogout(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    } finally {
      await app.close();
    }
  });

  it('sets the cookie on a plain node ServerResponse', async () => {
    const server = http.createServer(async (req, res) => {
      if (req.url === '/login') {
        res.setHeader('Set-Cookie', 'session=abc');
        await service.setCookie(res, grant);
      } else {
        service.clearCookie(res);
      }
      res.statusCode = 204;
      res.end();
    });
    try {
      await expectLoginAndLogout(await listen(server));
    } finally {
      server.close();
    }
  });

  it('refuses something that is not a response', async () => {
    await expect(service.setCookie({} as never, grant)).rejects.toThrow(/Express response, a Fastify reply/);
  });
});

describe('MercureAuthorization cookie scope', () => {
  const cookieOf = async (service: MercureAuthorization) => (await service.createCookie({ subscribe: ['*'] }));

  it('is Secure for an https hub, host-only when the hub shares the API host', async () => {
    const cookie = await cookieOf(authorization({ baseUrl: 'https://api.example.com' }, {}, { publisherJwt: { key: SECRET } }));
    expect(cookie).toMatchObject({ secure: true, path: '/.well-known/mercure', sameSite: 'Strict' });
    expect(cookie.domain).toBeUndefined();
    expect(cookie.header).toMatch(/; Secure; SameSite=Strict$/);
    expect(cookie.header).not.toMatch(/Domain=/);
  });

  it('covers the API and a hub on another host of the same domain', async () => {
    const service = authorization(
      { baseUrl: 'https://api.example.com', publishUrl: 'https://hub.example.com/hub/.well-known/mercure', jwt: { secret: SECRET } },
      { sameSite: 'Lax' },
    );
    const cookie = await cookieOf(service);
    expect(cookie).toMatchObject({ domain: 'example.com', path: '/hub/.well-known/mercure', secure: true, sameSite: 'Lax' });
    expect(service.createClearCookie().header).toContain('Domain=example.com');
  });

  it('uses the subscribe URL the clients connect to, not the publish URL', async () => {
    const service = authorization({
      baseUrl: 'http://localhost:3000',
      publishUrl: 'http://mercure:3000/.well-known/mercure',
      subscribeUrl: 'http://localhost:3000/hub',
      jwt: { secret: SECRET },
    });
    const cookie = await cookieOf(service);
    expect(cookie).toMatchObject({ path: '/hub', secure: false });
    expect(cookie.domain).toBeUndefined();
  });

  it('sets a host-only cookie, and says why, when no cookie of the API can reach the hub', async () => {
    const mercure = { baseUrl: 'https://api.example.com', publishUrl: 'https://hub.other.org/.well-known/mercure', jwt: { secret: SECRET } };
    const service = authorization(mercure);
    const cookie = await cookieOf(service);
    expect(cookie).toMatchObject({ path: '/.well-known/mercure', secure: true });
    expect(cookie.domain).toBeUndefined();
    expect(cookie.header).not.toMatch(/Domain=/);
    expect(service.createClearCookie().header).toMatch(/^mercureAuthorization=;.*Path=\/\.well-known\/mercure/);
    await expect(service.createSubscriberToken({ subscribe: ['*'] })).resolves.toMatch(/^ey/);
    // The same case between loopback names, as in a local run against an external hub.
    const local = authorization({ baseUrl: 'http://localhost:3000', publishUrl: 'http://127.0.0.1:3001/.well-known/mercure', jwt: { secret: SECRET } });
    expect((await cookieOf(local)).domain).toBeUndefined();
  });

  it('refuses at start-up a cookieDomain that does not cover both hosts', () => {
    expect(() =>
      authorization(
        { baseUrl: 'https://api.example.com', publishUrl: 'https://hub.example.com/.well-known/mercure', jwt: { secret: SECRET } },
        { cookieDomain: 'hub.example.com' },
      ),
    ).toThrow(/cookieDomain "hub.example.com" must cover both the hub's host \(hub.example.com\) and the API's \(api.example.com/);
    expect(() => embeddedHub({ sameSite: 'None' })).toThrow(/sameSite` None needs an https hub/);
  });

  it('takes the cookie name of the embedded hub', async () => {
    const cookie = await cookieOf(embeddedHub({}, { publisherJwt: { key: SECRET }, cookieName: 'hubAuth', path: '/hub' }));
    expect(cookie).toMatchObject({ name: 'hubAuth', path: '/hub' });
  });
});

describe('MercureAuthorization tokens', () => {
  it('carries subscribe and publish selectors, payload, extra claims and lifetime', async () => {
    const service = embeddedHub({ lifetime: 60 });
    const token = await service.createSubscriberToken({
      subscribe: ['/users/alice/notes', '/notes/{id}', 'https://other.test/feed'],
      publish: ['/users/alice/drafts'],
      payload: { user: 'alice' },
      claims: { sub: 'alice' },
    });
    const { payload } = await jwtVerify(token, KEY, { algorithms: ['HS256'] });
    expect(payload).toMatchObject({
      sub: 'alice',
      mercure: {
        // Relative selectors, URI templates too, are made absolute with baseUrl.
        subscribe: ['http://api.test/users/alice/notes', 'http://api.test/notes/{id}', 'https://other.test/feed'],
        publish: ['http://api.test/users/alice/drafts'],
        payload: { user: 'alice' },
      },
    });
    expect(payload.exp! - payload.iat!).toBe(60);
    const short = await jwtVerify(await service.createSubscriberToken({ subscribe: ['*'], lifetime: 5 }), KEY, { algorithms: ['HS256'] });
    expect(short.payload.exp! - short.payload.iat!).toBe(5);
  });

  it('refuses grants it would sign wrongly', async () => {
    const service = embeddedHub();
    await expect(service.createSubscriberToken({ subscribe: ['*'], claims: { exp: 9999999999 } })).rejects.toThrow(/"exp" is set by MercureAuthorization/);
    await expect(service.createSubscriberToken({ subscribe: [''] })).rejects.toThrow(/non-empty topic selectors/);
    await expect(service.createSubscriberToken({ subscribe: ['*'], lifetime: -1 })).rejects.toThrow(/positive integer/);
    await expect(service.createSubscriberToken({ subscribe: ['*'], hub: 'nope' })).rejects.toThrow(/Unknown Mercure hub "nope"/);
  });

  it('signs with an explicit asymmetric algorithm and its own private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const service = embeddedHub(
      { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'RS256' },
      { publisherJwt: { key: publicKey, algorithm: 'RS256' } },
    );
    const token = await service.createSubscriberToken({ subscribe: ['*'] });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT' });
    await expect(jwtVerify(token, publicKey, { algorithms: ['RS256'] })).resolves.toBeDefined();
  });

  it('uses the key the publisher signs with for an external hub, per hub', async () => {
    const other = 'another-secret-at-least-32-bytes';
    const service = authorization({
      baseUrl: 'https://api.example.com',
      publishUrl: 'https://api.example.com/.well-known/mercure',
      jwt: { secret: SECRET },
      hubs: { audit: { publishUrl: 'https://api.example.com/audit-hub', jwt: { token: 'ready' } } },
    }, { hubs: { audit: { key: other, lifetime: 10 } } });
    await expect(jwtVerify(await service.createSubscriberToken({ subscribe: ['*'] }), KEY, { algorithms: ['HS256'] })).resolves.toBeDefined();
    const audit = await service.createCookie({ subscribe: ['*'], hub: 'audit' });
    expect(audit).toMatchObject({ path: '/audit-hub', maxAge: 10 });
    await expect(jwtVerify(audit.value, new TextEncoder().encode(other), { algorithms: ['HS256'] })).resolves.toBeDefined();
  });
});

describe('MercureAuthorization keys at start-up', () => {
  it('refuses a one-character HS256 secret, wherever it comes from, without echoing it', () => {
    const attempts = [
      () => embeddedHub({ key: 'x' }),
      () => embeddedHub({}, { publisherJwt: { key: 'x' } }),
      () => embeddedHub({}, { publisherJwt: { key: SECRET }, subscriberJwt: { key: 'x' } }),
      () => authorization({ baseUrl: 'http://api.test', publishUrl: 'http://hub.api.test/', jwt: { secret: 'x' } }),
    ];
    const messages = attempts.map((attempt) => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    });
    expect(messages).toEqual([
      'MercureAuthorizationModule: `key` is too weak: HS256 needs a secret of at least 32 bytes (256 bits), got 1 (set allowInsecureKeySizes to accept it)',
      'MercureAuthorizationModule: MercureHubModule `publisherJwt.key` (used to sign subscriber tokens) is too weak: HS256 needs a secret of at least 32 bytes (256 bits), got 1 (set allowInsecureKeySizes to accept it)',
      'MercureAuthorizationModule: MercureHubModule `subscriberJwt.key` (used to sign subscriber tokens) is too weak: HS256 needs a secret of at least 32 bytes (256 bits), got 1 (set allowInsecureKeySizes to accept it)',
      'MercureAuthorizationModule: MercureModule `jwt.secret` (used to sign subscriber tokens) is too weak: HS256 needs a secret of at least 32 bytes (256 bits), got 1 (set allowInsecureKeySizes to accept it)',
    ]);
    expect(() => embeddedHub({ key: SECRET, algorithm: 'HS512' })).toThrow(/HS512 needs a secret of at least 64 bytes/);
  });

  it('accepts a short secret with allowInsecureKeySizes, its own or the one the key was lent with', async () => {
    const verify = async (service: MercureAuthorization, secret: string) =>
      (await jwtVerify(await service.createSubscriberToken({ subscribe: ['*'] }), new TextEncoder().encode(secret), { algorithms: ['HS256'] })).payload;
    await expect(verify(embeddedHub({ key: 'short', allowInsecureKeySizes: true }), 'short')).resolves.toHaveProperty('mercure');
    await expect(verify(embeddedHub({}, { publisherJwt: { key: 'lent', allowInsecureKeySizes: true } }), 'lent')).resolves.toHaveProperty('mercure');
    const external = { baseUrl: 'http://api.test', publishUrl: 'http://hub.api.test/', jwt: { secret: 'hubs', allowInsecureKeySizes: true } };
    await expect(verify(authorization(external), 'hubs')).resolves.toHaveProperty('mercure');
    // Never an empty key, and only a boolean.
    expect(() => embeddedHub({ key: new Uint8Array(0), allowInsecureKeySizes: true })).toThrow(/is required|got 0/);
    expect(() => embeddedHub({ key: 'short', allowInsecureKeySizes: 'yes' as never })).toThrow(/`allowInsecureKeySizes` must be a boolean/);
  });

  it('cannot borrow a public key from the hub, nor sign with none', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => embeddedHub({}, { publisherJwt: { key: publicKey, algorithm: 'ES256' } })).toThrow(
      /ES256 signs with a private key, not a public key/,
    );
    expect(() => embeddedHub({ key: SECRET, algorithm: 'none' })).toThrow(/unsupported algorithm "none"/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => embeddedHub({ key: privateKey, algorithm: 'ES256' })).toThrow(/ES256 needs an EC key on prime256v1/);
  });

  it('needs a key for the default hub now, for other hubs when they are used', async () => {
    expect(() => authorization({ baseUrl: 'http://api.test', publishUrl: 'http://api.test/hub', jwt: { token: 'ready' } })).toThrow(
      'MercureAuthorizationModule: hub "default" has no key to sign subscriber tokens: set `key`',
    );
    const service = authorization({
      baseUrl: 'http://api.test',
      publishUrl: 'http://api.test/hub',
      jwt: { secret: SECRET },
      hubs: { other: { publishUrl: 'http://api.test/other', jwt: { token: 'ready' } } },
    });
    await expect(service.createSubscriberToken({ subscribe: ['*'], hub: 'other' })).rejects.toThrow(/hub "other" has no key.*`hubs.other.key`/);
  });

  it('rejects unknown options and hubs', () => {
    expect(() => embeddedHub({ lifetme: 5 } as never)).toThrow(/unknown option `lifetme`/);
    expect(() => embeddedHub({ hubs: { nope: {} } })).toThrow(/`hubs.nope` names no hub/);
    expect(() => embeddedHub({ protocol: '2.0' as never })).toThrow(/protocol` must be '0.x', '1.0' or 'both'/);
    expect(() => embeddedHub({ protocol: '1.0' })).toThrow(/speaks 1.0: set `issuer`/);
    expect(() => embeddedHub({ lifetime: 0 })).toThrow(/`lifetime` must be a positive integer/);
  });
});

describe('MercureAuthorization for 1.0 hubs', () => {
  const hub1 = { publisherJwt: { key: SECRET }, protocol: '1.0' as const, issuer: 'https://api.test', audience: 'http://api.test/.well-known/mercure' };

  it('signs RFC 9068 access tokens the hub accepts: at+jwt, iss, aud, exp, authorization_details', async () => {
    const service = authorization({ baseUrl: 'https://api.test' }, {}, hub1);
    const token = await service.createSubscriberToken({
      subscribe: ['/users/alice/notes', { match: '/books/:id', match_type: 'urlpattern' }],
      payload: { user: 'alice' },
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, KEY, { issuer: hub1.issuer, audience: hub1.audience, typ: 'at+jwt', requiredClaims: ['exp'] });
    expect(payload.authorization_details).toEqual([
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions: ['subscribe'],
        topics: [
          { match: 'https://api.test/users/alice/notes' },
          { match: 'https://api.test/books/:id', match_type: 'urlpattern' },
        ],
        payload: { user: 'alice' },
      },
    ]);
    expect(payload.mercure).toBeUndefined();
  });

  it('sets the __Secure-mercure_access_token cookie, Secure even on a loopback http hub', async () => {
    const service = authorization({ baseUrl: 'http://localhost:3000' }, {}, hub1);
    const res = { headers: [] as string[], append(_name: string, value: string) { this.headers.push(value); } };
    await service.setCookie(res, { subscribe: ['/users/alice/notes'] });
    expect(res.headers.map((h) => parseCookie(h))).toEqual([
      expect.objectContaining({ name: '__Secure-mercure_access_token', attrs: expect.objectContaining({ secure: true, httponly: true, path: '/.well-known/mercure' }) }),
    ]);
  });

  it('a hub in both mode gets both cookies, and both are cleared', async () => {
    const service = authorization({ baseUrl: 'http://localhost:3000' }, {}, { ...hub1, protocol: 'both' });
    const res = { headers: [] as string[], append(_name: string, value: string) { this.headers.push(value); } };
    await service.setCookie(res, { subscribe: ['/users/alice/notes'] });
    expect(res.headers.map((h) => parseCookie(h).name)).toEqual(['mercureAuthorization', '__Secure-mercure_access_token']);
    expect(service.createClearCookies().map((c) => [c.name, c.maxAge])).toEqual([
      ['mercureAuthorization', 0],
      ['__Secure-mercure_access_token', 0],
    ]);
    expect(decodeProtectedHeader(await service.createSubscriberToken({ subscribe: ['*'], protocol: '1.0' })).typ).toBe('at+jwt');
    expect(decodeProtectedHeader(await service.createSubscriberToken({ subscribe: ['*'] })).typ).toBe('JWT');
  });

  it('refuses a 1.0 cookie for a remote plain-http hub, and typed selectors on 0.x', async () => {
    expect(() => authorization({ baseUrl: 'http://api.test' }, {}, hub1)).toThrow(/needs an https hub/);
    // In both mode, the 0.x cookie alone is set there.
    const both = authorization({ baseUrl: 'http://api.test' }, {}, { ...hub1, protocol: 'both' });
    const res = { headers: [] as string[], append(_name: string, value: string) { this.headers.push(value); } };
    await both.setCookie(res, { subscribe: ['/users/alice/notes'] });
    expect(res.headers.map((h) => parseCookie(h).name)).toEqual(['mercureAuthorization']);
    await expect(embeddedHub().createSubscriberToken({ subscribe: [{ match: '/x', match_type: 'urlpattern' }] })).rejects.toThrow(/strings/);
  });
});

