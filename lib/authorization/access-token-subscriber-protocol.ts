import { ACCESS_TOKEN_COOKIE, signAccessToken } from '../jwt/access-token';
import { RESERVED_CLAIMS } from './draft-subscriber-protocol';
import type { SigningKey } from './signing-key';
import type { ResolvedGrant, SubscriberProtocol } from './subscriber-protocol';

/** Claims a 1.0 token's issuer sets itself; a grant's extra `claims` may not replace them. */
export const RESERVED_ACCESS_TOKEN_CLAIMS = [...RESERVED_CLAIMS, 'iss', 'aud', 'jti', 'authorization_details'];

/**
 * Mercure 1.0 (draft-08): an RFC 9068 access token (`typ: at+jwt`, `iss`, `aud`, `exp`,
 * `authorization_details`), in the `__Secure-mercure_access_token` cookie.
 */
export class AccessTokenSubscriberProtocol implements SubscriberProtocol {
  readonly version = '1.0' as const;
  readonly requiresSecureCookie = true;

  constructor(
    private readonly issuer: string,
    private readonly audience: string,
    readonly cookieName = ACCESS_TOKEN_COOKIE,
  ) {}

  sign(grant: ResolvedGrant, { key, algorithm }: SigningKey): Promise<string> {
    return signAccessToken(
      { subscribe: grant.subscribe, publish: grant.publish, payload: grant.payload, claims: grant.claims },
      { issuer: this.issuer, audience: this.audience, issuedAt: grant.issuedAt, expiresAt: grant.expiresAt, subject: 'nestjs-mercure' },
      key,
      algorithm,
    );
  }
}
