import { RESERVED_CLAIMS } from './draft-subscriber-protocol';
import type { HubAuthorization } from './hub-authorization';
import type { SubscriberGrant } from './mercure-authorization.options';
import { appendSetCookie, buildCookie, CookieResponse, SubscriberCookie } from './set-cookie';
import type { ResolvedGrant } from './subscriber-protocol';

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

  /** A signed subscriber token for this grant. */
  async createSubscriberToken(grant: SubscriberGrant): Promise<string> {
    const hub = this.hub(grant.hub);
    const key = hub.key;
    if (key instanceof Error) throw key;
    return hub.protocol.sign(this.resolve(grant, hub), key);
  }

  /** The subscriber cookie for this grant, to send as `Set-Cookie` (see `setCookie`). */
  async createCookie(grant: SubscriberGrant): Promise<SubscriberCookie> {
    const hub = this.hub(grant.hub);
    const scope = hub.scope;
    if (scope instanceof Error) throw scope;
    const key = hub.key;
    if (key instanceof Error) throw key;
    const resolved = this.resolve(grant, hub);
    const token = await hub.protocol.sign(resolved, key);
    const lifetime = resolved.expiresAt - resolved.issuedAt;
    return buildCookie(hub.protocol.cookieName, token, scope, hub.sameSite, new Date(resolved.expiresAt * 1000), lifetime);
  }

  /** Sets the subscriber cookie on an Express response or a Fastify reply; returns the cookie. */
  async setCookie(res: CookieResponse, grant: SubscriberGrant): Promise<SubscriberCookie> {
    const cookie = await this.createCookie(grant);
    appendSetCookie(res, cookie.header);
    return cookie;
  }

  /** The cookie that removes the subscriber cookie (same name, path and domain, expired). */
  createClearCookie(hubName?: string): SubscriberCookie {
    const hub = this.hub(hubName);
    if (hub.scope instanceof Error) throw hub.scope;
    return buildCookie(hub.protocol.cookieName, '', hub.scope, hub.sameSite, EPOCH, 0);
  }

  /** Expires the subscriber cookie (on logout). */
  clearCookie(res: CookieResponse, hubName?: string): void {
    appendSetCookie(res, this.createClearCookie(hubName).header);
  }

  private hub(name: string = this.defaultHub): HubAuthorization {
    const hub = this.hubs.get(name);
    if (!hub) throw new Error(`Unknown Mercure hub "${name}"; configured hubs: ${[...this.hubs.keys()].join(', ')}`);
    return hub;
  }

  private resolve(grant: SubscriberGrant, hub: HubAuthorization): ResolvedGrant {
    if (!grant || !Array.isArray(grant.subscribe)) {
      throw new TypeError('A subscriber grant needs `subscribe`, an array of topic selectors');
    }
    const lifetime = grant.lifetime ?? hub.lifetime;
    if (!Number.isInteger(lifetime) || lifetime <= 0) {
      throw new TypeError('`lifetime` must be a positive integer (seconds)');
    }
    for (const name of Object.keys(grant.claims ?? {})) {
      if (RESERVED_CLAIMS.includes(name)) throw new TypeError(`The claim "${name}" is set by MercureAuthorization; it cannot be given in \`claims\``);
    }
    const issuedAt = Math.floor(Date.now() / 1000);
    return {
      subscribe: this.absolute(grant.subscribe, 'subscribe'),
      publish: grant.publish && this.absolute(grant.publish, 'publish'),
      payload: grant.payload,
      claims: grant.claims,
      issuedAt,
      expiresAt: issuedAt + lifetime,
    };
  }

  /** Relative selectors (`/users/alice/notes`, templates too) get `baseUrl`, as the listener's topics do. */
  private absolute(selectors: string[], field: string): string[] {
    return selectors.map((selector) => {
      if (typeof selector !== 'string' || selector === '') {
        throw new TypeError(`\`${field}\` must hold non-empty topic selectors`);
      }
      return selector.startsWith('/') ? this.baseUrl + selector : selector;
    });
  }
}
