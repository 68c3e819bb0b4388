import { createSecretKey, KeyObject } from 'crypto';

/** The JWS algorithms tokens are signed and verified with (RFC 7518), HMAC ones first. */
export const JWS_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
] as const;

export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && (JWS_ALGORITHMS as readonly string[]).includes(value);
}

/** HS256, HS384, HS512: a shared secret rather than a key pair. */
export function isHmacAlgorithm(algorithm: string): boolean {
  return algorithm.startsWith('HS');
}

/** The curve each ECDSA algorithm signs on (RFC 7518). */
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * Why an asymmetric key (public or private) cannot serve a JWS algorithm, or undefined when it
 * can. Shared by the publisher's signer and the embedded hub's verifier, so both accept the same keys.
 */
export function keyMismatch(key: KeyObject, algorithm: string): string | undefined {
  const type = key.asymmetricKeyType;
  const family = algorithm.slice(0, 2);
  if (family === 'RS' || family === 'PS') {
    const allowed = family === 'PS' ? ['rsa', 'rsa-pss'] : ['rsa'];
    if (!type || !allowed.includes(type)) {
      return `${algorithm} needs an RSA key, got ${type ?? 'an unknown'} key`;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    // jose refuses smaller keys too, whatever we allow.
    if (bits !== undefined && bits < 2048) {
      return `${algorithm} needs an RSA key of at least 2048 bits, got ${bits}`;
    }
    return undefined;
  }
  if (family === 'ES') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== EC_CURVES[algorithm]) {
      return `${algorithm} needs an EC key on ${EC_CURVES[algorithm]}, got ${type ?? 'an unknown'} key${curve ? ` on ${curve}` : ''}`;
    }
    return undefined;
  }
  if (type !== 'ed25519' && type !== 'ed448') {
    return `${algorithm} needs an Ed25519 or Ed448 key, got ${type ?? 'an unknown'} key`;
  }
  return undefined;
}

/** Smallest HMAC key per algorithm, in bytes: the size of the hash output (RFC 7518 section 3.2). */
const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * Why a shared secret of `bytes` bytes is too weak for an HMAC algorithm, or undefined when it is
 * long enough (or `allowInsecureKeySizes` says to accept it, as long as it is not empty). A short
 * secret can be brute-forced from any token signed with it.
 */
function hmacKeyWeakness(bytes: number, algorithm: string, allowInsecureKeySizes = false): string | undefined {
  const min = HMAC_MIN_BYTES[algorithm];
  if (min === undefined || bytes >= min || (allowInsecureKeySizes && bytes > 0)) return undefined;
  return `${algorithm} needs a secret of at least ${min} bytes (${min * 8} bits), got ${bytes}${bytes > 0 ? ' (set allowInsecureKeySizes to accept it)' : ''}`;
}

/** Reads an `allowInsecureKeySizes` option: absent is false; anything but a boolean is a mistake. */
export function allowInsecureKeySizesOf(value: unknown, option: string, fail: (message: string) => Error): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw fail(`\`${option}\` must be a boolean`);
  return value;
}

/**
 * Reads an HMAC secret (a string, bytes or a secret `KeyObject`), refusing a key pair's key or a
 * PEM text given by mistake; `where` names the option, `fail` makes the caller's error. The secret
 * itself never appears in a message. With `strength`, a secret shorter than the algorithm's hash is
 * refused too (see `hmacKeyWeakness`), unless `allowInsecureKeySizes`.
 */
export function importHmacSecret(
  raw: unknown,
  algorithm: string,
  where: string,
  fail: (message: string) => Error,
  strength?: { allowInsecureKeySizes: boolean },
): KeyObject {
  const key = readHmacSecret(raw, algorithm, where, fail);
  const weakness = strength && hmacKeyWeakness(key.symmetricKeySize ?? 0, algorithm, strength.allowInsecureKeySizes);
  if (weakness) throw fail(`${where} is too weak: ${weakness}`);
  return key;
}

function readHmacSecret(raw: unknown, algorithm: string, where: string, fail: (message: string) => Error): KeyObject {
  if (raw instanceof KeyObject) {
    if (raw.type !== 'secret') throw fail(`${where}: ${algorithm} needs a shared secret, not a ${raw.type} key`);
    return raw;
  }
  if (typeof raw === 'string') {
    if (raw.trimStart().startsWith('-----BEGIN')) {
      throw fail(`${where} looks like a PEM key, but ${algorithm} needs a shared secret (set the algorithm, e.g. RS256, for a key pair)`);
    }
    return createSecretKey(Buffer.from(raw, 'utf8'));
  }
  if (raw instanceof Uint8Array) return createSecretKey(Buffer.from(raw));
  throw fail(`${where} must be a string, bytes or a secret KeyObject for ${algorithm}`);
}
