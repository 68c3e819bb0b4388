import { isIP } from 'net';
import { MercureAuthorizationConfigError } from './mercure-authorization.options';

/** Where a browser sends the subscriber cookie: only to the hub. */
export interface CookieScope {
  path: string;
  /** Absent: a host-only cookie (the hub shares the API's host). */
  domain?: string;
  secure: boolean;
}

/**
 * The cookie's scope for a hub at `hubUrl` set by responses of the API at `apiUrl`: the hub's
 * path, `Secure` unless the hub is plain http, and a `Domain` covering both hosts when they
 * differ. Returns an Error (thrown when a cookie is asked for, as Symfony does) when no cookie
 * set by the API can reach the hub; an explicit `cookieDomain` that does not cover both fails at
 * start-up.
 */
export function cookieScope(hubUrl: string, apiUrl: string, cookieDomain: string | undefined, where: string): CookieScope | Error {
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
    return new Error(
      `Cannot set a subscriber cookie for hub at ${hub.host}: it shares no parent domain with the API (${api.host}, ` +
        `from baseUrl), so a cookie set by the API would never reach it. Serve both under one domain (or set ` +
        `${where}cookieDomain), or give the client a token with createSubscriberToken().`,
    );
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
