import { createPublicKey, JsonWebKey, KeyObject } from 'crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { HubJwtAlgorithm, MercureHubConfigError, MercureHubJwtOptions } from './mercure-hub.options';
import { allowInsecureKeySizesOf, importHmacSecret, isHmacAlgorithm, isJwsAlgorithm, JWS_ALGORITHMS, keyMismatch } from '../jwt/key-algorithm';
import type { HubGrants } from './hub-protocol';
import { grants0x } from './protocol-0x';

/** The part of a 0.x token the hub uses (`mercure.publish`, `mercure.subscribe`, `payload`, `exp`). */
export type MercureClaims = HubGrants;

/** Why a token was refused; the hub answers 401 whatever it is, and logs `reason` (never the token). */
export class TokenError extends Error {
  constructor(readonly reason: string) {
    super(`Invalid token: ${reason}`);
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
    if (!isJwsAlgorithm(algorithm)) {
      throw new MercureHubConfigError(
        `${optionName}.algorithm "${String(algorithm)}" is not supported; use one of ${JWS_ALGORITHMS.join(', ')}`,
      );
    }
    const allowInsecure = allowInsecureKeySizesOf(
      options.allowInsecureKeySizes,
      `${optionName}.allowInsecureKeySizes`,
      (message) => new MercureHubConfigError(message),
    );
    return new JwtVerifier(importKey(options.key, algorithm, optionName, allowInsecure), algorithm, clockTolerance);
  }

  /** The verified payload; a `TokenError` saying why otherwise. */
  async verifyPayload(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        clockTolerance: this.clockTolerance,
      });
      return payload;
    } catch (error) {
      throw new TokenError(this.reasonOf(error, token));
    }
  }

  /**
   * Verifies an RFC 9068 access token (protocol 1.0): header `typ: at+jwt`, `iss` equal to the
   * issuer, `aud` containing the audience, `exp` present; the payload on success.
   */
  async verifyAccessToken(token: string, expected: { issuer: string; audience: string }): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        clockTolerance: this.clockTolerance,
        typ: 'at+jwt',
        issuer: expected.issuer,
        audience: expected.audience,
        requiredClaims: ['exp', 'iss', 'aud'],
      });
      return payload;
    } catch (error) {
      throw new TokenError(this.reasonOf(error, token));
    }
  }

  /** Verifies a protocol 0.x token and reads its `mercure` claim. */
  async verify(token: string): Promise<MercureClaims> {
    return grants0x(await this.verifyPayload(token));
  }

  /** A reason fit for a log: fixed texts and claim names, never the token or its values. */
  private reasonOf(error: unknown, token: string): string {
    if (error instanceof joseErrors.JWTExpired) return 'expired ("exp" is past)';
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature (signed with another key?)';
    if (error instanceof joseErrors.JOSEAlgNotAllowed) {
      let alg = 'unknown';
      try {
        const header = decodeProtectedHeader(token).alg;
        if (typeof header === 'string' && /^[A-Za-z0-9]{1,16}$/.test(header)) alg = header;
      } catch {
        // malformed header: keep "unknown"
      }
      return `wrong algorithm ${alg} (expected ${this.algorithm})`;
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return `claim "${/^[a-z]{1,8}$/i.test(error.claim) ? error.claim : '?'}" not valid now or not as expected`;
    }
    return 'malformed (not a compact JWS with a JSON payload)';
  }
}

function importKey(key: MercureHubJwtOptions['key'], algorithm: HubJwtAlgorithm, optionName: string, allowInsecure: boolean): KeyObject {
  const where = `${optionName}.key`;
  if (key === undefined || key === null || (typeof key === 'string' && key === '')) {
    throw new MercureHubConfigError(`${where} is required`);
  }
  if (isHmacAlgorithm(algorithm)) {
    // The same rule as the keys that sign subscriber tokens: a short secret can be brute-forced
    // from any token, which would let anyone forge publisher tokens.
    return importHmacSecret(key, algorithm, where, (message) => new MercureHubConfigError(message), { allowInsecureKeySizes: allowInsecure });
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
