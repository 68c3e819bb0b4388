import { isIP } from 'net';
import { MercureAuthorizationConfigError } from './mercure-authorization.options';

/** Where a browser sends the subscriber cookie: only to the hub. */
export interface CookieScope {
  path: string;
  /** Absent: a host-only cookie (the hub shares the API's host). */
  domain?: string;
  secure: boolean;
  /**
   * Set when browsers will not send a cookie of the API to the hub (their hosts share no parent
   * domain): the cookie is then host-only for the API, for clients that read it themselves.
   */
  unreachable?: string;
}

/**
 * The cookie's scope for a hub at `hubUrl` set by responses of the API at `apiUrl`: the hub's
 * path, `Secure` unless the hub is plain http, and a `Domain` covering both hosts when they
 * differ. When no cookie set by the API can reach the hub, the scope is host-only and says why in
 * `unreachable` (a warning at start-up, not an error: a login must not fail on it, and tokens still
 * work); an explicit `cookieDomain` that does not cover both fails at start-up.
 */
export function cookieScope(hubUrl: string, apiUrl: string, cookieDomain: string | undefined, where: string): CookieScope {
  const api = new URL(apiUrl);
  const hub = new URL(hubUrl, api);
  const scope: CookieScope = { path: hub.pathname || '/', secure: hub.protocol === 'https:' };
  const hubHost = hub.hostname.toLowerCase();
  const apiHost = api.hostname.toLowerCase();
  if (cookieDomain !== undefined) {
    const domain = cookieDomain.trim().replace(/^\./, '').toLowerCase();
    if (!domain || !covers(domain, hubHost) || !covers(domain, apiHost)) {
      throw new MercureAuthorizationConfigError(
        `${where}cookieDomain "${cookieDomain}" must cover both the hub's host (${hubHost}) and the API's (${apiHost}, from baseUrl)`,
      );
    }
    return { ...scope, domain };
  }
  if (hubHost === apiHost) return scope;
  const common = commonParent(hubHost, apiHost);
  if (!common) {
    const unreachable =
      `the hub at ${hub.host} shares no parent domain with the API (${api.host}, from baseUrl): browsers will not send ` +
      `it the subscriber cookie, which is set host-only for the API. Serve both under one domain (or set ` +
      `${where}cookieDomain), or give clients a token with createSubscriberToken().`;
    return { ...scope, unreachable };
  }
  return { ...scope, domain: common };
}

function covers(domain: string, host: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && isIP(host) === 0);
}

/** The longest common parent of two host names with at least two labels (`example.com`), if any. */
function commonParent(a: string, b: string): string | undefined {
  if (isIP(a) || isIP(b)) return undefined;
  const left = a.split('.').reverse();
  const right = b.split('.').reverse();
  const shared: string[] = [];
  for (let i = 0; i < Math.min(left.length, right.length) && left[i] === right[i]; i++) shared.push(left[i]);
  // A single label (`com`) is a top-level domain, which browsers refuse as a cookie domain.
  return shared.length >= 2 ? shared.reverse().join('.') : undefined;
}
