import { createSecretKey, generateKeyPairSync } from 'crypto';
import { SignJWT } from 'jose';
import { JwtVerifier, TokenError } from './jwt';
import { MercureHubConfigError } from './mercure-hub.options';

const secret = 'a-secret-of-at-least-32-characters!!';
const sign = (payload: object, key: Uint8Array | import('crypto').KeyObject, alg = 'HS256') =>
  new SignJWT(payload as never).setProtectedHeader({ alg }).sign(key);

describe('JwtVerifier', () => {
  it('extracts the mercure claim, ignoring malformed parts', async () => {
    const verifier = JwtVerifier.create({ key: secret }, 'publisherJwt');
    const key = new TextEncoder().encode(secret);
    expect(
      await verifier.verify(await sign({ mercure: { publish: ['*'], subscribe: ['/a'], payload: { u: 1 } }, exp: 4102444800 }, key)),
    ).toEqual({ publish: ['*'], subscribe: ['/a'], payload: { u: 1 }, exp: 4102444800 });
    expect(await verifier.verify(await sign({ mercure: { publish: '*', subscribe: [1] } }, key))).toEqual({});
    expect(await verifier.verify(await sign({ mercure: ['x'] }, key))).toEqual({});
  });

  it('accepts a secret as bytes or KeyObject', async () => {
    const key = new TextEncoder().encode(secret);
    const token = await sign({ mercure: { publish: ['*'] } }, key);
    for (const option of [Buffer.from(secret), createSecretKey(Buffer.from(secret))]) {
      expect((await JwtVerifier.create({ key: option }, 'k').verify(token)).publish).toEqual(['*']);
    }
  });

  it('accepts a private key, a KeyObject or a JWK for asymmetric algorithms', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await sign({ mercure: { subscribe: ['*'] } }, privateKey, 'ES256');
    const options = [
      publicKey,
      privateKey,
      publicKey.export({ format: 'jwk' }),
      privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ];
    for (const key of options) {
      expect((await JwtVerifier.create({ key, algorithm: 'ES256' }, 'k').verify(token)).subscribe).toEqual(['*']);
    }
  });

  it('refuses keys that do not fit the algorithm, naming the option and not the key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attempts: [() => unknown, RegExp][] = [
      [() => JwtVerifier.create({ key: publicKey, algorithm: 'ES384' }, 'subscriberJwt'), /subscriberJwt\.key does not fit subscriberJwt\.algorithm: ES384 needs an EC key on secp384r1, got ec key on prime256v1/],
      [() => JwtVerifier.create({ key: publicKey, algorithm: 'RS256' }, 'subscriberJwt'), /subscriberJwt\.key/],
      [() => JwtVerifier.create({ key: publicKey, algorithm: 'HS256' }, 'publisherJwt'), /publisherJwt\.key: HS256 needs a shared secret, not a public key/],
      [() => JwtVerifier.create({ key: secret, algorithm: 'RS256' }, 'publisherJwt'), /publisherJwt\.key must be a public key/],
      [() => JwtVerifier.create({ key: '' }, 'publisherJwt'), /publisherJwt\.key is required/],
      [() => JwtVerifier.create({ key: secret, algorithm: 'none' as never }, 'publisherJwt'), /publisherJwt\.algorithm/],
      // HMAC secrets shorter than the hash: the rule MercureAuthorizationModule applies to the keys it signs with.
      [() => JwtVerifier.create({ key: 'short-secret' }, 'publisherJwt'), /publisherJwt\.key is too weak: HS256 needs a secret of at least 32 bytes \(256 bits\), got 12/],
      [() => JwtVerifier.create({ key: secret, algorithm: 'HS512' }, 'subscriberJwt'), /subscriberJwt\.key is too weak: HS512 needs a secret of at least 64 bytes/],
      [() => JwtVerifier.create({ key: new Uint8Array(0) }, 'publisherJwt'), /publisherJwt\.key is too weak: .*got 0/],
    ];
    for (const [attempt, message] of attempts) {
      expect(attempt).toThrow(MercureHubConfigError);
      expect(attempt).toThrow(message);
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });

  it('accepts a short secret only with allowInsecureKeySizes, never a small RSA key (jose refuses it)', async () => {
    const verifier = JwtVerifier.create({ key: 'short-secret', allowInsecureKeySizes: true }, 'publisherJwt');
    const token = await sign({ mercure: { publish: ['*'] } }, new TextEncoder().encode('short-secret'));
    expect((await verifier.verify(token)).publish).toEqual(['*']);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => JwtVerifier.create({ key: publicKey, algorithm: 'RS256' }, 'publisherJwt')).toThrow(/at least 2048 bits, got 1024/);
    expect(() => JwtVerifier.create({ key: publicKey, algorithm: 'RS256', allowInsecureKeySizes: true }, 'publisherJwt')).toThrow(/at least 2048 bits/);
    expect(() => JwtVerifier.create({ key: 'x', allowInsecureKeySizes: 1 as never }, 'publisherJwt')).toThrow(/publisherJwt\.allowInsecureKeySizes` must be a boolean/);
  });

  it('refuses tokens of another algorithm, alg none, and expired ones', async () => {
    const verifier = JwtVerifier.create({ key: secret }, 'k');
    const key = new TextEncoder().encode(secret);
    await expect(verifier.verify(await sign({}, key, 'HS384'))).rejects.toThrow(TokenError);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    await expect(verifier.verify(none)).rejects.toThrow(TokenError);
    await expect(verifier.verify(await sign({ exp: 1 }, key))).rejects.toThrow(TokenError);
    await expect(verifier.verify(await sign({ nbf: 4102444800 }, key))).rejects.toThrow(TokenError);
  });

  it('tolerates the configured clock skew', async () => {
    const key = new TextEncoder().encode(secret);
    const token = await sign({ exp: Math.floor(Date.now() / 1000) - 5 }, key);
    await expect(JwtVerifier.create({ key: secret }, 'k').verify(token)).rejects.toThrow(TokenError);
    await expect(JwtVerifier.create({ key: secret }, 'k', 60).verify(token)).resolves.toEqual({ exp: expect.any(Number) });
  });
});
