import { createPrivateKey, JsonWebKey, KeyObject } from 'crypto';
import { importHmacSecret, isHmacAlgorithm, isJwsAlgorithm, JWS_ALGORITHMS, keyMismatch } from '../jwt/key-algorithm';
import { MercureAuthorizationConfigError } from './mercure-authorization.options';

/** A key able to sign tokens, with the one algorithm it signs them with. */
export interface SigningKey {
  key: KeyObject;
  algorithm: string;
}

/**
 * Checks a key against its algorithm and imports it: a missing, unreadable or too weak key (such
 * as a short HS256 secret) fails now, at start-up. `where` names the option in errors.
 */
export function importSigningKey(
  raw: string | Uint8Array | KeyObject | JsonWebKey | undefined,
  algorithm: string,
  where: string,
  allowInsecureKeySizes = false,
): SigningKey {
  if (!isJwsAlgorithm(algorithm)) {
    throw new MercureAuthorizationConfigError(`${where}: unsupported algorithm ${JSON.stringify(algorithm)}; use one of ${JWS_ALGORITHMS.join(', ')}`);
  }
  if (raw === undefined || raw === null || raw === '') {
    throw new MercureAuthorizationConfigError(`${where} is required to sign subscriber tokens`);
  }
  const key = isHmacAlgorithm(algorithm)
    ? importHmacSecret(raw, algorithm, where, (message) => new MercureAuthorizationConfigError(message), { allowInsecureKeySizes })
    : privateKey(raw, algorithm, where);
  return { key, algorithm };
}

function privateKey(raw: unknown, algorithm: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    if (raw instanceof KeyObject) {
      key = raw;
    } else if (typeof raw === 'string' || raw instanceof Uint8Array) {
      key = createPrivateKey(Buffer.from(raw as string));
    } else {
      key = createPrivateKey({ key: raw as JsonWebKey, format: 'jwk' });
    }
  } catch {
    throw new MercureAuthorizationConfigError(`${where} must be a private key (PEM, KeyObject or JWK) for ${algorithm}; it could not be read as one`);
  }
  if (key.type !== 'private') {
    throw new MercureAuthorizationConfigError(
      `${where}: ${algorithm} signs with a private key, not a ${key.type} key (a hub verifying with a public key cannot lend it)`,
    );
  }
  const mismatch = keyMismatch(key, algorithm);
  if (mismatch) throw new MercureAuthorizationConfigError(`${where}: ${mismatch}`);
  return key;
}
