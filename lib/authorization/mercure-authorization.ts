import type { TopicMatch } from '../jwt/access-token';
import { RESERVED_ACCESS_TOKEN_CLAIMS } from './access-token-subscriber-protocol';
import { RESERVED_CLAIMS } from './draft-subscriber-protocol';
import type { HubAuthorization } from './hub-authorization';
import type { SubscriberGrant } from './mercure-authorization.options';
import type { CookieScope } from './cookie-scope';
import { appendSetCookie, buildCookie, CookieResponse, SubscriberCookie } from './set-cookie';
import type { ResolvedGrant, SubscriberProtocol } from './subscriber-protocol';

const EPOCH = new Date(0);

/**
 * Gives subscribers their Mercure token: as the HttpOnly cookie the hub reads (browsers), or as a
 * bare token for an `Authorization: Bearer` header (other clients). Injectable once
 * `MercureAuthorizationModule` is imported.
 *
 * ```ts
 * @Post('login')
 * @HttpCode(204)
 * async login(@Res({ passthrough: true }) res: Response) {
 *   await this.authorization.setCookie(res, { subscribe: [`/users/${user}/notes`] });
 * }
 * ```
 */
export class MercureAuthorization {
  constructor(
    private readonly hubs: ReadonlyMap<string, HubAuthorization>,
    private readonly defaultHub: string,
    private readonly baseUrl: string,
  ) {}

  /** A signed subscriber token for this grant (for a hub in `both` mode: `grant.protocol`, 0.x by default). */
  async createSubscriberToken(grant: SubscriberGrant): Promise<string> {
    const hub = this.hub(grant.hub);
    const key = hub.key;
    if (key instanceof Error) throw key;
    const protocol = this.protocolOf(hub, grant.protocol);
    return protocol.sign(this.resolve(grant, hub, protocol), key);
  }

  /** The subscriber cookie for this grant, to send as `Set-Cookie` (see `setCookie`). */
  async createCookie(grant: SubscriberGrant): Promise<SubscriberCookie> {
    const hub = this.hub(grant.hub);
    return this.cookieFor(hub, this.protocolOf(hub, grant.protocol), grant);
  }

  /**
   * Sets the subscriber cookie on an Express response or a Fastify reply; returns the cookie. For a
   * hub speaking both versions, sets both cookies (0.x and 1.0; the 1.0 one only where a browser
   * can keep it: https or loopback) unless `grant.protocol` picks one, and returns the first.
   */
  async setCookie(res: CookieResponse, grant: SubscriberGrant): Promise<SubscriberCookie> {
    const hub = this.hub(grant.hub);
    const protocols = grant.protocol ? [this.protocolOf(hub, grant.protocol)] : hub.cookieProtocols;
    const cookies: SubscriberCookie[] = [];
    for (const protocol of protocols) cookies.push(await this.cookieFor(hub, protocol, grant));
    for (const cookie of cookies) appendSetCookie(res, cookie.header);
    return cookies[0];
  }

  /** The cookies that remove the subscriber cookies (same names, path and domain, expired). */
  createClearCookies(hubName?: string): SubscriberCookie[] {
    const hub = this.hub(hubName);
    if (hub.scope instanceof Error) throw hub.scope;
    const scope = hub.scope;
    return hub.protocols.map((p) => buildCookie(p.cookieName, '', this.scopeFor(scope, p), hub.sameSite, EPOCH, 0));
  }

  /** The cookie that removes the hub's (first) subscriber cookie. */
  createClearCookie(hubName?: string): SubscriberCookie {
    return this.createClearCookies(hubName)[0];
  }

  /** Expires the subscriber cookies (on logout). */
  clearCookie(res: CookieResponse, hubName?: string): void {
    for (const cookie of this.createClearCookies(hubName)) appendSetCookie(res, cookie.header);
  }

  private async cookieFor(hub: HubAuthorization, protocol: SubscriberProtocol, grant: SubscriberGrant): Promise<SubscriberCookie> {
    const scope = hub.scope;
    if (scope instanceof Error) throw scope;
    const key = hub.key;
    if (key instanceof Error) throw key;
    const resolved = this.resolve(grant, hub, protocol);
    const token = await protocol.sign(resolved, key);
    const lifetime = resolved.expiresAt - resolved.issuedAt;
    const expires = new Date(resolved.expiresAt * 1000);
    return buildCookie(protocol.cookieName, token, this.scopeFor(scope, protocol), hub.sameSite, expires, lifetime);
  }

  /** `__Secure-` cookies must be `Secure` (browsers take them from http://localhost too). */
  private scopeFor(scope: CookieScope, protocol: SubscriberProtocol): CookieScope {
    return protocol.requiresSecureCookie ? { ...scope, secure: true } : scope;
  }

  private protocolOf(hub: HubAuthorization, version: '0.x' | '1.0' | undefined): SubscriberProtocol {
    if (version === undefined) return hub.protocol;
    const protocol = hub.protocols.find((p) => p.version === version);
    if (!protocol) throw new TypeError(`Hub "${hub.name}" does not speak protocol ${version}`);
    return protocol;
  }

  private hub(name: string = this.defaultHub): HubAuthorization {
    const hub = this.hubs.get(name);
    if (!hub) throw new Error(`Unknown Mercure hub "${name}"; configured hubs: ${[...this.hubs.keys()].join(', ')}`);
    return hub;
  }

  private resolve(grant: SubscriberGrant, hub: HubAuthorization, protocol: SubscriberProtocol): ResolvedGrant {
    if (!grant || !Array.isArray(grant.subscribe)) {
      throw new TypeError('A subscriber grant needs `subscribe`, an array of topic selectors');
    }
    const lifetime = grant.lifetime ?? hub.lifetime;
    if (!Number.isInteger(lifetime) || lifetime <= 0) {
      throw new TypeError('`lifetime` must be a positive integer (seconds)');
    }
    const reserved = protocol.version === '1.0' ? RESERVED_ACCESS_TOKEN_CLAIMS : RESERVED_CLAIMS;
    for (const name of Object.keys(grant.claims ?? {})) {
      if (reserved.includes(name)) throw new TypeError(`The claim "${name}" is set by MercureAuthorization; it cannot be given in \`claims\``);
    }
    const issuedAt = Math.floor(Date.now() / 1000);
    return {
      subscribe: this.absolute(grant.subscribe, 'subscribe', protocol),
      publish: grant.publish && this.absolute(grant.publish, 'publish', protocol),
      payload: grant.payload,
      claims: grant.claims,
      issuedAt,
      expiresAt: issuedAt + lifetime,
    };
  }

  /** Relative selectors (`/users/alice/notes`, templates too) get `baseUrl`, as the listener's topics do. */
  private absolute(selectors: TopicMatch[], field: string, protocol: SubscriberProtocol): TopicMatch[] {
    const absolute = (topic: string) => (topic.startsWith('/') ? this.baseUrl + topic : topic);
    return selectors.map((selector) => {
      if (typeof selector === 'string' && selector !== '') return absolute(selector);
      const typed = selector as Exclude<TopicMatch, string>;
      if (protocol.version === '1.0' && typed && typeof typed === 'object' && typeof typed.match === 'string' && typed.match !== '') {
        return { ...typed, match: absolute(typed.match) };
      }
      throw new TypeError(`\`${field}\` must hold non-empty topic selectors${protocol.version === '1.0' ? ' or { match, match_type }' : ' (strings)'}`);
    });
  }
}
