import type { JsonWebKey, KeyObject } from 'crypto';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { TopicMatch } from '../jwt/access-token';

/**
 * How a hub's subscriber tokens and cookie are shaped: `0.x` (draft-07), `1.0` (draft-08, RFC 9068
 * access tokens in `__Secure-mercure_access_token`), or `both` (a hub serving both versions: the
 * service sets both cookies).
 */
export type SubscriberProtocolVersion = '0.x' | '1.0' | 'both';

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
  /**
   * Accept an HMAC secret shorter than its hash (32 bytes for HS256), a start-up error otherwise;
   * a key borrowed from the hub or `MercureModule` also takes their own
   * `allowInsecureKeySizes`. For demos; never in production.
   */
  allowInsecureKeySizes?: boolean;
  /**
   * Token and cookie format the hub speaks. Default: the hub's `protocol` in `MercureModule` when
   * `1.0`, else the embedded hub's `protocol` when it is the one served in-process, else `0.x`.
   */
  protocol?: SubscriberProtocolVersion;
  /** 1.0: `iss` of the tokens; default: the hub's `issuer` in `MercureModule`, else the embedded hub's. */
  issuer?: string;
  /** 1.0: `aud` of the tokens; default: the hub's `audience` in `MercureModule`, else the embedded hub's. */
  audience?: string;
  /** Seconds a token (and its cookie) lasts; default 3600. */
  lifetime?: number;
  /**
   * Cookie name of the 0.x cookie (`mercureAuthorization`, or the embedded hub's `cookieName`) and,
   * when the hub speaks only 1.0, of the 1.0 one (`__Secure-mercure_access_token`, or the embedded
   * hub's `accessTokenCookieName`).
   */
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
  /**
   * Topics the subscriber may receive privately; relative ones get `baseUrl`. 0.x: topics or URI
   * templates (`mercure.subscribe`); 1.0: exact topics or `{ match, match_type: 'urlpattern' }`.
   */
  subscribe: TopicMatch[];
  /** Topics the bearer may publish to (none by default), shaped as `subscribe`. */
  publish?: TopicMatch[];
  /** On a hub speaking both versions: the one token (`createSubscriberToken`, `createCookie`) is for; 0.x by default. */
  protocol?: '0.x' | '1.0';
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
