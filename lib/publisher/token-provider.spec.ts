import { generateKeyPairSync } from 'crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { createTokenProvider } from './token-provider';

const SECRET = '!ChangeThisMercureHubJWTSecretKey!';

function expectError(fn: () => unknown, path: string, mustNotContain: string[] = []): Error {
  let error: Error | undefined;
  try {
    fn();
  } catch (caught) {
    error = caught as Error;
  }
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toContain(path);
  for (const secret of mustNotContain) {
    expect(error!.message).not.toContain(secret);
  }
  return error!;
}

describe('createTokenProvider', () => {
  it('returns undefined without options', () => {
    expect(createTokenProvider(undefined, 'jwt')).toBeUndefined();
  });

  it('uses a ready token as is', async () => {
    const provider = createTokenProvider({ token: 'a.b.c' }, 'jwt')!;
    await expect(provider()).resolves.toBe('a.b.c');
    await expect(provider()).resolves.toBe('a.b.c');
  });

  it('calls a token factory each time, so tokens may rotate', async () => {
    let calls = 0;
    const provider = createTokenProvider(() => `token-${++calls}`, 'jwt')!;
    await expect(provider()).resolves.toBe('token-1');
    await expect(provider()).resolves.toBe('token-2');
    const asyncProvider = createTokenProvider(async () => 'async-token', 'jwt')!;
    await expect(asyncProvider()).resolves.toBe('async-token');
  });

  it('rejects when a token factory returns nothing', async () => {
    const provider = createTokenProvider(() => '', 'hubs.audit.jwt')!;
    await expect(provider()).rejects.toThrow('hubs.audit.jwt');
  });

  it('signs HS256 by default with mercure.publish = ["*"], once', async () => {
    const provider = createTokenProvider({ secret: SECRET }, 'jwt')!;
    const token = await provider();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(payload).toEqual({ mercure: { publish: ['*'] } });
    await expect(provider()).resolves.toBe(token);
  });

  it('does not verify with another secret', async () => {
    const token = await createTokenProvider({ secret: SECRET }, 'jwt')!();
    await expect(jwtVerify(token, new TextEncoder().encode('another secret'), { algorithms: ['HS256'] })).rejects.toThrow();
  });

  it('signs with the chosen HMAC algorithm and publish selectors', async () => {
    const publish = ['https://example.com/books/{id}', 'https://example.com/reviews/1'];
    const token = await createTokenProvider({ secret: SECRET, algorithm: 'HS512', publish }, 'jwt')!();
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS512'],
    });
    expect(protectedHeader.alg).toBe('HS512');
    expect(payload.mercure).toEqual({ publish });
  });

  it('signs RS256 with a PEM private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = await createTokenProvider({ secret: pem, algorithm: 'RS256' }, 'jwt')!();
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ['RS256'] });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.mercure).toEqual({ publish: ['*'] });
  });

  it('accepts PKCS#1 PEM and KeyObjects (ES256, EdDSA, PS256)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const ps = await createTokenProvider({ secret: pkcs1, algorithm: 'PS256' }, 'jwt')!();
    await expect(jwtVerify(ps, rsa.publicKey, { algorithms: ['PS256'] })).resolves.toBeDefined();

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const es = await createTokenProvider({ secret: ec.privateKey, algorithm: 'ES256' }, 'jwt')!();
    await expect(jwtVerify(es, ec.publicKey, { algorithms: ['ES256'] })).resolves.toBeDefined();

    const ed = generateKeyPairSync('ed25519');
    const eddsa = await createTokenProvider({ secret: ed.privateKey, algorithm: 'EdDSA' }, 'jwt')!();
    await expect(jwtVerify(eddsa, ed.publicKey, { algorithms: ['EdDSA'] })).resolves.toBeDefined();
  });

  describe('validates eagerly, naming the option and never echoing the secret', () => {
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    it('refuses unsupported algorithms, none included', () => {
      expectError(() => createTokenProvider({ secret: SECRET, algorithm: 'none' }, 'jwt'), 'jwt.algorithm', [SECRET]);
      expectError(() => createTokenProvider({ secret: SECRET, algorithm: 'hs256' }, 'jwt'), 'jwt.algorithm', [SECRET]);
    });

    it('refuses an empty secret', () => {
      expectError(() => createTokenProvider({ secret: '' }, 'hubs.audit.jwt'), 'hubs.audit.jwt.secret');
    });

    it('refuses a PEM key with an HMAC algorithm', () => {
      const error = expectError(() => createTokenProvider({ secret: rsaPem }, 'jwt'), 'jwt.secret', [
        rsaPem.split('\n')[1],
      ]);
      expect(error.message).toContain('HS256');
    });

    it('refuses a plain string secret with an asymmetric algorithm', () => {
      expectError(() => createTokenProvider({ secret: SECRET, algorithm: 'RS256' }, 'jwt'), 'jwt.secret', [SECRET]);
    });

    it('refuses an unreadable PEM', () => {
      const broken = '-----BEGIN PRIVATE KEY-----\nTm90QUtleUF0QWxs\n-----END PRIVATE KEY-----\n';
      expectError(() => createTokenProvider({ secret: broken, algorithm: 'RS256' }, 'jwt'), 'jwt.secret', [
        'Tm90QUtleUF0QWxs',
      ]);
    });

    it('refuses an RSA key under 2048 bits, allowInsecureKeySizes or not (jose would refuse to sign)', () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
      for (const allowInsecureKeySizes of [false, true]) {
        const error = expectError(() => createTokenProvider({ secret: small.privateKey, algorithm: 'RS256', allowInsecureKeySizes }, 'jwt'), 'jwt.secret');
        expect(error.message).toContain('at least 2048 bits, got 1024');
      }
    });

    it('refuses a key that does not fit the algorithm', () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      expectError(() => createTokenProvider({ secret: ec.privateKey, algorithm: 'ES256' }, 'jwt'), 'jwt.secret');
      expectError(() => createTokenProvider({ secret: ec.privateKey, algorithm: 'RS256' }, 'jwt'), 'jwt.secret');
      expectError(() => createTokenProvider({ secret: ec.publicKey, algorithm: 'ES384' }, 'jwt'), 'jwt.secret');
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
      expectError(() => createTokenProvider({ secret: small.privateKey, algorithm: 'RS256' }, 'jwt'), 'jwt.secret');
    });

    it('refuses malformed jwt options', () => {
      expectError(() => createTokenProvider({ token: '' }, 'jwt'), 'jwt.token');
      expectError(() => createTokenProvider({ token: 'a.b.c', secret: SECRET } as never, 'jwt'), 'jwt', [
        SECRET,
        'a.b.c',
      ]);
      expectError(() => createTokenProvider({ secret: SECRET, publish: [] }, 'jwt'), 'jwt.publish', [SECRET]);
      expectError(() => createTokenProvider({} as never, 'jwt'), 'jwt');
    });
  });
});

describe('createTokenProvider for 1.0 hubs', () => {
  const access = { issuer: 'https://api.test', audience: 'https://hub.test/.well-known/mercure' };

  it('signs an RFC 9068 access token with the explicit algorithm, renewed before it expires', async () => {
    const provider = createTokenProvider({ secret: SECRET, publish: ['*', { match: 'https://api.test/books/:id', match_type: 'urlpattern' }], lifetime: 60 }, 'jwt', access)!;
    const token = await provider();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      typ: 'at+jwt',
      ...access,
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
    });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.authorization_details).toEqual([
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions: ['publish'],
        topics: [{ match: '*' }, { match: 'https://api.test/books/:id', match_type: 'urlpattern' }],
      },
    ]);
    await expect(provider()).resolves.toBe(token);
  });

  it('refuses a bad lifetime or publish entry, naming the option', () => {
    expectError(() => createTokenProvider({ secret: SECRET, lifetime: 0 }, 'hubs.a.jwt', access), 'hubs.a.jwt.lifetime', [SECRET]);
    expectError(() => createTokenProvider({ secret: SECRET, publish: [{ match: 'x', match_type: 'regex' as never }] }, 'hubs.a.jwt', access), 'hubs.a.jwt.publish', [SECRET]);
  });
});
