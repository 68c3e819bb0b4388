import { createPublicKey, createSecretKey, JsonWebKey, KeyObject } from 'crypto';
import { jwtVerify } from 'jose';
import { HubJwtAlgorithm, MercureHubConfigError, MercureHubJwtOptions } from './mercure-hub.options';
import { keyMismatch } from '../jwt/key-algorithm';

/** The part of a verified token the hub uses. */
export interface MercureClaims {
  /** Selectors of `mercure.publish`, when it is an array of strings. */
  publish?: readonly string[];
  /** Selectors of `mercure.subscribe`, when it is an array of strings. */
  subscribe?: readonly string[];
  /** `mercure.payload`, attached to subscriptions. */
  payload?: unknown;
  /** `exp`, in seconds since the epoch. */
  exp?: number;
}

const ALGORITHMS: readonly HubJwtAlgorithm[] = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];


/** Why a token was refused; the hub answers 401 whatever it is. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Verifies tokens with one key and one algorithm. */
export class JwtVerifier {
  private constructor(
    private readonly key: KeyObject,
    readonly algorithm: HubJwtAlgorithm,
    private readonly clockTolerance: number,
  ) {}

  /**
   * Imports the key for `options.algorithm` and checks they fit together; a mismatch fails with an
   * error naming `optionName` (the key itself never appears in messages).
   */
  static create(options: MercureHubJwtOptions, optionName: string, clockTolerance = 0): JwtVerifier {
    if (!options || typeof options !== 'object') {
      throw new MercureHubConfigError(`${optionName} must be an object with a "key"`);
    }
    const algorithm = options.algorithm ?? 'HS256';
    if (!ALGORITHMS.includes(algorithm)) {
      throw new MercureHubConfigError(
        `${optionName}.algorithm "${String(algorithm)}" is not supported; use one of ${ALGORITHMS.join(', ')}`,
      );
    }
    return new JwtVerifier(importKey(options.key, algorithm, optionName), algorithm, clockTolerance);
  }

  async verify(token: string): Promise<MercureClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        clockTolerance: this.clockTolerance,
      }));
    } catch (error) {
      throw new TokenError(`Invalid token: ${(error as Error)?.message ?? 'verification failed'}`);
    }
    const mercure = payload.mercure;
    const claims: MercureClaims = {};
    if (typeof payload.exp === 'number') claims.exp = payload.exp;
    if (mercure && typeof mercure === 'object' && !Array.isArray(mercure)) {
      const m = mercure as Record<string, unknown>;
      if (isStringArray(m.publish)) claims.publish = m.publish;
      if (isStringArray(m.subscribe)) claims.subscribe = m.subscribe;
      if (m.payload !== undefined) claims.payload = m.payload;
    }
    return claims;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function importKey(key: MercureHubJwtOptions['key'], algorithm: HubJwtAlgorithm, optionName: string): KeyObject {
  const where = `${optionName}.key`;
  if (key === undefined || key === null || (typeof key === 'string' && key === '')) {
    throw new MercureHubConfigError(`${where} is required`);
  }
  if (algorithm.startsWith('HS')) {
    if (key instanceof KeyObject) {
      if (key.type !== 'secret') {
        throw new MercureHubConfigError(`${where} must be a secret for ${algorithm}, not a ${key.type} key`);
      }
      return key;
    }
    if (typeof key === 'string') {
      if (/^-----BEGIN [A-Z ]*KEY-----/.test(key.trim())) {
        throw new MercureHubConfigError(`${where} looks like a PEM key, but ${algorithm} needs a shared secret`);
      }
      return createSecretKey(Buffer.from(key, 'utf8'));
    }
    if (key instanceof Uint8Array) {
      if (key.length === 0) throw new MercureHubConfigError(`${where} is empty`);
      return createSecretKey(Buffer.from(key));
    }
    throw new MercureHubConfigError(`${where} must be a string, bytes or a secret KeyObject for ${algorithm}`);
  }

  let publicKey: KeyObject;
  try {
    if (key instanceof KeyObject) {
      if (key.type === 'secret') throw new Error('secret');
      publicKey = key.type === 'private' ? createPublicKey(key) : key;
    } else if (typeof key === 'string' || key instanceof Uint8Array) {
      publicKey = createPublicKey(Buffer.from(key as Uint8Array | string));
    } else {
      publicKey = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    }
  } catch {
    throw new MercureHubConfigError(
      `${where} must be a public key (PEM, KeyObject or JWK) for ${algorithm}; it could not be read as one`,
    );
  }
  const mismatch = keyMismatch(publicKey, algorithm);
  if (mismatch) {
    throw new MercureHubConfigError(`${where} does not fit ${optionName}.algorithm: ${mismatch}`);
  }
  return publicKey;
}
