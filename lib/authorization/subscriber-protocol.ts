import type { SigningKey } from './signing-key';

/** A grant whose selectors are absolute, with its times in seconds since the epoch. */
export interface ResolvedGrant {
  subscribe: string[];
  publish?: string[];
  payload?: unknown;
  claims?: Record<string, unknown>;
  issuedAt: number;
  expiresAt: number;
}

/**
 * What differs between Mercure protocol versions on the subscriber side: the token's claims and
 * header, and the cookie's default name. 0.x is implemented; 1.0 (an RFC 9068 `at+jwt` with
 * `iss`, `aud` and `authorization_details`, in the `__Secure-mercure_access_token` cookie) is
 * another implementation of this interface, chosen per hub.
 */
export interface SubscriberProtocol {
  readonly version: string;
  readonly cookieName: string;
  /** Whether the cookie name requires `Secure` (e.g. a `__Secure-` prefix). */
  readonly requiresSecureCookie: boolean;
  sign(grant: ResolvedGrant, key: SigningKey): Promise<string>;
}
