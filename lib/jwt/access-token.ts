import { randomUUID, KeyObject } from 'crypto';
import { SignJWT } from 'jose';

/** The 1.0 cookie's default name; the `__Secure-` prefix makes browsers require `Secure`. */
export const ACCESS_TOKEN_COOKIE = '__Secure-mercure_access_token';

/** The `type` of Mercure authorization details (RFC 9396), as protocol 1.0 names it. */
export const MERCURE_AUTHORIZATION_DETAIL = 'https://mercure.rocks/authorization-detail';

/** A 1.0 topic selector: an exact topic (or `*`), or a WHATWG URL pattern. */
export type TopicMatch = string | { match: string; match_type?: 'exact' | 'urlpattern' };

export interface AccessTokenGrant {
  publish?: readonly TopicMatch[];
  subscribe?: readonly TopicMatch[];
  /** Shared by the hub about the subscriber (subscription events, the subscriptions API). */
  payload?: unknown;
  /** Other claims (e.g. `sub`); the ones this function sets win. */
  claims?: Record<string, unknown>;
}

export interface AccessTokenContext {
  issuer: string;
  audience: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** `sub` and `client_id` (RFC 9068 requires both) unless `claims` give them. */
  subject: string;
}

/**
 * Signs an RFC 9068 access token for a Mercure 1.0 hub: header `typ: at+jwt` and the explicit
 * algorithm; `iss`, `aud`, `exp`, `iat`, `jti`, `sub`, `client_id`; the grants as
 * `authorization_details` entries (one per action).
 */
export function signAccessToken(grant: AccessTokenGrant, context: AccessTokenContext, key: KeyObject, algorithm: string): Promise<string> {
  const details: Record<string, unknown>[] = [];
  if (grant.publish && grant.publish.length > 0) details.push(entry('publish', grant.publish));
  if (grant.subscribe && grant.subscribe.length > 0) details.push(entry('subscribe', grant.subscribe, grant.payload));
  return new SignJWT({ sub: context.subject, client_id: context.subject, ...grant.claims, authorization_details: details })
    .setProtectedHeader({ alg: algorithm, typ: 'at+jwt' })
    .setIssuer(context.issuer)
    .setAudience(context.audience)
    .setIssuedAt(context.issuedAt)
    .setExpirationTime(context.expiresAt)
    .setJti(randomUUID())
    .sign(key);
}

function entry(action: string, topics: readonly TopicMatch[], payload?: unknown): Record<string, unknown> {
  return {
    type: MERCURE_AUTHORIZATION_DETAIL,
    actions: [action],
    topics: topics.map((t) => (typeof t === 'string' ? { match: t } : { match: t.match, match_type: t.match_type ?? 'exact' })),
    ...(payload !== undefined && { payload }),
  };
}

/** Whether a value is a 1.0 topic selector the hub accepts in a token. */
export function isTopicMatch(value: unknown): value is TopicMatch {
  if (typeof value === 'string') return value !== '';
  if (!value || typeof value !== 'object') return false;
  const { match, match_type: type } = value as Record<string, unknown>;
  return typeof match === 'string' && match !== '' && (type === undefined || type === 'exact' || type === 'urlpattern');
}
