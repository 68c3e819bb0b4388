import type { TopicMatch } from '../jwt/access-token';
import type { SigningKey } from './signing-key';

/** A grant whose selectors are absolute, with its times in seconds since the epoch. */
export interface ResolvedGrant {
  /** 0.x: strings only (checked when the grant is resolved). */
  subscribe: TopicMatch[];
  publish?: TopicMatch[];
  payload?: unknown;
  claims?: Record<string, unknown>;
  issuedAt: number;
  expiresAt: number;
}

/**
 * What differs between Mercure protocol versions on the subscriber side: the token's claims and
 * header, and the cookie's default name: `DraftSubscriberProtocol` (0.x) and
 * `AccessTokenSubscriberProtocol` (1.0), chosen per hub.
 */
export interface SubscriberProtocol {
  readonly version: '0.x' | '1.0';
  readonly cookieName: string;
  /** Whether the cookie name requires `Secure` (e.g. a `__Secure-` prefix). */
  readonly requiresSecureCookie: boolean;
  sign(grant: ResolvedGrant, key: SigningKey): Promise<string>;
}
