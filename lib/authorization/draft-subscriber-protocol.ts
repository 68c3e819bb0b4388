import { SignJWT } from 'jose';
import type { SigningKey } from './signing-key';
import type { ResolvedGrant, SubscriberProtocol } from './subscriber-protocol';

/** Claims the service sets itself; a grant's extra `claims` may not replace them. */
export const RESERVED_CLAIMS = ['mercure', 'exp', 'iat'];

/** Mercure 0.x (draft-07): claim `mercure: { subscribe, publish?, payload? }`, cookie `mercureAuthorization`. */
export class DraftSubscriberProtocol implements SubscriberProtocol {
  readonly version = '0.x' as const;
  readonly requiresSecureCookie = false;

  constructor(readonly cookieName = 'mercureAuthorization') {}

  sign(grant: ResolvedGrant, { key, algorithm }: SigningKey): Promise<string> {
    const mercure: Record<string, unknown> = { subscribe: grant.subscribe };
    if (grant.publish) mercure.publish = grant.publish;
    if (grant.payload !== undefined) mercure.payload = grant.payload;
    return new SignJWT({ ...grant.claims, mercure })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .setIssuedAt(grant.issuedAt)
      .setExpirationTime(grant.expiresAt)
      .sign(key);
  }
}
