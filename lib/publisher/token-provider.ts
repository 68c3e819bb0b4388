import { createPrivateKey, KeyObject } from 'crypto';
import { SignJWT } from 'jose';
import { isTopicMatch, signAccessToken } from '../jwt/access-token';
import type { MercureJwtOptions, MercureJwtSecretOptions } from '../mercure.options';
import { importHmacSecret, isHmacAlgorithm, isJwsAlgorithm, JWS_ALGORITHMS, keyMismatch } from '../jwt/key-algorithm';

/** Returns the publisher JWT to send as `Authorization: Bearer`; called before each request. */
export type TokenProvider = () => Promise<string>;


/**
 * Turns the `jwt` option of a hub into a function returning the publisher token, or `undefined`
 * when no option is given (e.g. the embedded hub, reached in-process).
 *
 * - `{ token }` is sent as is;
 * - a function is called before every request, so it may rotate tokens;
 * - `{ secret, algorithm, publish }` is signed once with jose and the token is reused.
 *
 * Everything that can be checked is checked now, so a bad configuration fails at start-up rather
 * than on the first publish. Errors name the option (`optionPath`, e.g. `hubs.audit.jwt`) and
 * never contain the secret or the token.
 */
export function createTokenProvider(
  jwt: MercureJwtOptions | undefined,
  optionPath: string,
  /** Protocol 1.0: sign RFC 9068 access tokens for this issuer and audience. */
  accessToken?: { issuer?: string; audience?: string },
): TokenProvider | undefined {
  if (jwt === undefined || jwt === null) {
    return undefined;
  }
  if (typeof jwt === 'function') {
    return async () => {
      const token = await jwt();
      if (typeof token !== 'string' || token === '') {
        throw new Error(`The token factory of ${optionPath} returned no token (expected a non-empty string)`);
      }
      return token;
    };
  }
  if (typeof jwt !== 'object') {
    throw new Error(`${optionPath} must be { token }, { secret, algorithm?, publish? } or a function`);
  }
  const hasToken = 'token' in jwt && jwt.token !== undefined;
  const hasSecret = 'secret' in jwt && jwt.secret !== undefined;
  if (hasToken && hasSecret) {
    throw new Error(`${optionPath}: set either token or secret, not both`);
  }
  if (hasToken) {
    const { token } = jwt as { token: unknown };
    if (typeof token !== 'string' || token.trim() === '') {
      throw new Error(`${optionPath}.token must be a non-empty string`);
    }
    const ready = Promise.resolve(token);
    return () => ready;
  }
  if (hasSecret) {
    return createSigningProvider(jwt as MercureJwtSecretOptions, optionPath, accessToken);
  }
  throw new Error(`${optionPath} must be { token }, { secret, algorithm?, publish? } or a function`);
}

function createSigningProvider(
  options: MercureJwtSecretOptions,
  optionPath: string,
  accessToken?: { issuer?: string; audience?: string },
): TokenProvider {
  const algorithm = options.algorithm ?? 'HS256';
  if (!isJwsAlgorithm(algorithm)) {
    throw new Error(
      `${optionPath}.algorithm: unsupported algorithm ${JSON.stringify(algorithm)}; ` +
        `use one of ${JWS_ALGORITHMS.join(', ')}`,
    );
  }
  const publish = options.publish ?? ['*'];
  const valid = accessToken ? isTopicMatch : (s: unknown) => typeof s === 'string' && s !== '';
  if (!Array.isArray(publish) || publish.length === 0 || !publish.every(valid)) {
    throw new Error(`${optionPath}.publish must be a non-empty array of topic selectors`);
  }
  const key = isHmacAlgorithm(algorithm)
    ? hmacKey(options.secret, algorithm, optionPath)
    : privateKey(options.secret, algorithm, optionPath);
  if (accessToken) return accessTokenProvider(options, optionPath, accessToken, key, algorithm);

  // A signed token carries no expiry, so one signature serves the whole process lifetime.
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= new SignJWT({ mercure: { publish: [...(publish as string[])] } })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .sign(key)
      .catch((error: unknown) => {
        cached = undefined;
        // jose's messages describe the key type, never the key material.
        throw new Error(`${optionPath}: could not sign the publisher token (${(error as Error)?.message})`);
      });
    return cached;
  };
}

/**
 * Protocol 1.0: an RFC 9068 access token, which must expire; a new one is signed once half of
 * the lifetime has passed, so a token in flight always has time left.
 */
function accessTokenProvider(
  options: MercureJwtSecretOptions,
  optionPath: string,
  { issuer, audience }: { issuer?: string; audience?: string },
  key: KeyObject,
  algorithm: string,
): TokenProvider {
  const lifetime = options.lifetime ?? 3600;
  if (!Number.isInteger(lifetime) || lifetime < 2) throw new Error(`${optionPath}.lifetime must be an integer >= 2 (seconds)`);
  if (!issuer || !audience) throw new Error(`${optionPath}: a 1.0 hub needs an issuer and an audience to sign tokens for`);
  let cached: Promise<string> | undefined;
  let renewAt = 0;
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (!cached || now >= renewAt) {
      renewAt = now + Math.floor(lifetime / 2);
      const context = { issuer, audience, issuedAt: now, expiresAt: now + lifetime, subject: 'nestjs-mercure' };
      cached = signAccessToken({ publish: options.publish ?? ['*'] }, context, key, algorithm).catch((error: unknown) => {
        cached = undefined;
        throw new Error(`${optionPath}: could not sign the publisher token (${(error as Error)?.message})`);
      });
    }
    return cached;
  };
}

function hmacKey(secret: unknown, algorithm: string, optionPath: string): KeyObject {
  if (secret === '') throw new Error(`${optionPath}.secret must not be empty`);
  return importHmacSecret(secret, algorithm, `${optionPath}.secret`, (message) => new Error(message));
}

function privateKey(secret: unknown, algorithm: string, optionPath: string): KeyObject {
  let key: KeyObject;
  if (secret instanceof KeyObject) {
    key = secret;
  } else if (typeof secret === 'string' && secret.includes('PRIVATE KEY-----')) {
    // Node parses PEM synchronously (PKCS#8, and also PKCS#1 / SEC1, which jose's importPKCS8
    // refuses), which lets a bad key fail at start-up.
    try {
      key = createPrivateKey({ key: secret, format: 'pem' });
    } catch {
      throw new Error(`${optionPath}.secret is not a readable PEM private key`);
    }
  } else {
    throw new Error(`${optionPath}.secret must be a PEM private key (string) or a KeyObject for ${algorithm}`);
  }
  if (key.type !== 'private') {
    throw new Error(`${optionPath}.secret: ${algorithm} needs a private key, not a ${key.type} key`);
  }
  const mismatch = keyMismatch(key, algorithm);
  if (mismatch) {
    throw new Error(`${optionPath}.secret: ${mismatch}`);
  }
  return key;
}
