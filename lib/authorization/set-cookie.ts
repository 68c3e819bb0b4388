import type { CookieScope } from './cookie-scope';
import type { SubscriberCookieSameSite } from './mercure-authorization.options';

/** A `Set-Cookie` value with its parts, ready to send. */
export interface SubscriberCookie {
  name: string;
  value: string;
  path: string;
  domain?: string;
  secure: boolean;
  httpOnly: true;
  sameSite: SubscriberCookieSameSite;
  expires: Date;
  /** Seconds; 0 for a cookie that clears the previous one. */
  maxAge: number;
  /** The `Set-Cookie` header value. */
  header: string;
}

export function buildCookie(
  name: string,
  value: string,
  scope: CookieScope,
  sameSite: SubscriberCookieSameSite,
  expires: Date,
  maxAge: number,
): SubscriberCookie {
  const parts = [`${name}=${value}`, `Path=${scope.path}`];
  if (scope.domain) parts.push(`Domain=${scope.domain}`);
  parts.push(`Expires=${expires.toUTCString()}`, `Max-Age=${maxAge}`, 'HttpOnly');
  if (scope.secure) parts.push('Secure');
  parts.push(`SameSite=${sameSite}`);
  return { name, value, ...scope, httpOnly: true, sameSite, expires, maxAge, header: parts.join('; ') };
}

interface FastifyReplyLike {
  raw: unknown;
  header(name: string, value: string): unknown;
}
interface ExpressResponseLike {
  append(name: string, value: string): unknown;
}
interface NodeResponseLike {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | string[]): unknown;
}

/** An Express response, a Fastify reply, or a plain node `ServerResponse`. */
export type CookieResponse = ExpressResponseLike | FastifyReplyLike | NodeResponseLike;

/** Adds a `Set-Cookie` header, keeping the ones already set (the app's own session cookie...). */
export function appendSetCookie(res: CookieResponse, header: string): void {
  const r = res as Partial<FastifyReplyLike & ExpressResponseLike & NodeResponseLike>;
  if (r.raw !== undefined && typeof r.header === 'function') {
    // Fastify collects repeated `set-cookie` values instead of replacing them.
    r.header('set-cookie', header);
  } else if (typeof r.append === 'function') {
    r.append('Set-Cookie', header);
  } else if (typeof r.getHeader === 'function' && typeof r.setHeader === 'function') {
    const current = r.getHeader('set-cookie');
    const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
    r.setHeader('Set-Cookie', [...list, header]);
  } else {
    throw new TypeError('Expected an Express response, a Fastify reply or a node ServerResponse to set the cookie on');
  }
}
