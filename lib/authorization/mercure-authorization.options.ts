import type { JsonWebKey, KeyObject } from 'crypto';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';

/** How a hub's subscriber tokens and cookie are shaped; only `0.x` (draft-07) for now. */
export type SubscriberProtocolVersion = '0.x';

export type SubscriberCookieSameSite = 'Strict' | 'Lax' | 'None';

/** Settings of one hub's subscriber tokens and cookie. */
export interface MercureAuthorizationHubOptions {
  /**
   * Signs subscriber tokens: an HMAC secret for `HS*`, a private key (PEM or `KeyObject`) otherwise.
   * Default: the embedded hub's subscriber key when the hub is the one served in-process, else the
   * hub's own `jwt.secret` from `MercureModule`.
   */
  key?: string | Uint8Array | KeyObject | JsonWebKey;
  /** JWS algorithm; default: the embedded hub's (for its key), else `HS256`. */
  algorithm?: string;
  /** Token and cookie format the hub speaks (default `0.x`). */
  protocol?: SubscriberProtocolVersion;
  /** Seconds a token (and its cookie) lasts; default 3600. */
  lifetime?: number;
  /** Cookie name; default per protocol (`mercureAuthorization` for 0.x, or the embedded hub's `cookieName`). */
  cookieName?: string;
  /**
   * `Domain` of the cookie. Default: none when the hub and the API (`baseUrl`) share a host,
   * else their closest common parent domain.
   */
  cookieDomain?: string;
  /** Default `Strict`; `None` needs an https hub. */
  sameSite?: SubscriberCookieSameSite;
}

export interface MercureAuthorizationModuleOptions extends MercureAuthorizationHubOptions {
  /** Per-hub settings (names of `MercureModule` hubs); they override the top-level ones. */
  hubs?: Record<string, MercureAuthorizationHubOptions>;
}

export interface MercureAuthorizationModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: any[]) => MercureAuthorizationModuleOptions | Promise<MercureAuthorizationModuleOptions>;
}

/** What a subscriber may do, for one token or cookie. */
export interface SubscriberGrant {
  /** Topic selectors of `mercure.subscribe`: topics or URI templates; relative ones get `baseUrl`. */
  subscribe: string[];
  /** Topic selectors of `mercure.publish` (none by default). */
  publish?: string[];
  /** `mercure.payload`: what the hub shares about this subscriber in subscription events. */
  payload?: unknown;
  /** Other top-level claims (e.g. `sub`); `mercure`, `exp` and `iat` are set by the service. */
  claims?: Record<string, unknown>;
  /** Seconds the token lasts; the hub's `lifetime` by default. */
  lifetime?: number;
  /** Name of the hub (the default hub when absent). */
  hub?: string;
}

/** A configuration mistake found at start-up; the message names the option, never a key. */
export class MercureAuthorizationConfigError extends Error {
  constructor(message: string) {
    super(`MercureAuthorizationModule: ${message}`);
    this.name = 'MercureAuthorizationConfigError';
  }
}
