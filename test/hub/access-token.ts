import { SignJWT } from 'jose';
import { SECRET } from './helpers';

/** The resource and issuer the reference conformance suite's 1.0 tokens name. */
export const AUDIENCE = 'https://localhost/.well-known/mercure';
export const ISSUER = 'https://localhost';
export const DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';

export interface TopicGrant {
  match: string;
  match_type?: string;
}

/** One `authorization_details` entry of the Mercure type. */
export function detail(actions: string[], topics: (string | TopicGrant)[], payload?: unknown): Record<string, unknown> {
  return {
    type: DETAIL_TYPE,
    actions,
    topics: topics.map((t) => (typeof t === 'string' ? { match: t } : t)),
    ...(payload !== undefined && { payload }),
  };
}

/**
 * An RFC 9068 access token signed by hand with jose (HS256, `SECRET`): what any 1.0 issuer
 * would send. Every part can be left out or changed, to check the hub refuses it.
 */
export async function accessToken(
  details: unknown[] | undefined,
  options: { iss?: string | null; aud?: string | string[] | null; exp?: number | null; typ?: string | null; secret?: string } = {},
): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (details !== undefined) claims.authorization_details = details;
  const jwt = new SignJWT(claims).setProtectedHeader({
    alg: 'HS256',
    ...(options.typ !== null && { typ: options.typ ?? 'at+jwt' }),
  });
  if (options.iss !== null) jwt.setIssuer(options.iss ?? ISSUER);
  if (options.aud !== null) jwt.setAudience(options.aud ?? AUDIENCE);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
  jwt.setIssuedAt();
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** A `?match=...` (or other 1.0 parameters) subscription URL. */
export function matchUrl(hubUrl: string, params: [string, string][]): string {
  const url = new URL(hubUrl);
  for (const [name, value] of params) url.searchParams.append(name, value);
  return url.toString();
}
