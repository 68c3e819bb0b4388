import type { JsonWebKey, KeyObject } from 'crypto';
import type { ModuleMetadata, Type, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { HubTransport } from './hub-transport';

/** JWS algorithms the hub verifies tokens with; `none` is never accepted. */
export type HubJwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

export interface MercureHubJwtOptions {
  /**
   * HMAC secret (string or bytes) for `HS*`; for `RS*`, `PS*`, `ES*` and `EdDSA`, the public key:
   * a PEM string (public key, certificate, or a private key from which the public key is derived),
   * a `KeyObject`, or a JWK.
   */
  key: string | Buffer | Uint8Array | KeyObject | JsonWebKey;
  /** The one algorithm tokens must be signed with; `HS256` by default. */
  algorithm?: HubJwtAlgorithm;
  /**
   * Accept an HMAC secret shorter than its hash (32 bytes for HS256), a start-up error otherwise
   * (a short secret can be brute-forced from any token). For demos; never in production. (RSA
   * keys under 2048 bits stay refused: jose does not use them.)
   */
  allowInsecureKeySizes?: boolean;
}

export interface MercureHubRedisTransportOptions {
  type: 'redis';
  /** `redis://` URL; the hub opens (and closes) its connections. */
  url?: string;
  /** An ioredis client the hub uses (and duplicates for its blocking reads) but does not close. */
  client?: Redis;
  /** Prefix of the hub's keys (default `mercure:`); instances sharing it form one hub. */
  prefix?: string;
  /** Milliseconds the hub waits for Redis at start-up before failing (default 5000). */
  connectTimeout?: number;
  /**
   * Seconds an update id stays known to every instance (default 600): a publish repeating it on
   * any instance, a retry of the outbox relay for one, is answered with the id and not delivered
   * again. 0: each instance only knows the ids it saw recently.
   */
  idTtl?: number;
}

export interface MercureHubModuleOptions {
  /**
   * Mercure protocol versions the hub speaks: `'0.x'` (draft-07, the default while the reference
   * hub has not tagged 1.0), `'1.0'` (draft-08), or `'both'` (each request is read by what it
   * carries; neither version's checks are relaxed).
   */
  protocol?: '0.x' | '1.0' | 'both';
  /** 1.0: the `iss` access tokens must carry (required when the hub speaks 1.0). */
  issuer?: string;
  /** 1.0: the hub's resource identifier, which `aud` must contain; use the hub's public URL (required when the hub speaks 1.0). */
  audience?: string;
  /** 1.0: name of the access token cookie; `__Secure-mercure_access_token` by default. */
  accessTokenCookieName?: string;
  /** Where the hub is mounted; `/.well-known/mercure` by default. Not affected by a global prefix. */
  path?: string;
  /**
   * `MercureHubModule` only: how the hub is put in front of its path. `'server'` (the default): on
   * the app's HTTP server, before Express / Fastify, so hub requests skip the app's middleware,
   * hooks, global prefix and Nest CORS (the hub has its own `cors`); the framework middleware
   * stays as a fallback for requests that still reach the framework (the Express app served by
   * your own server). `'framework'`: only as framework middleware, after the global middleware
   * registered before `app.init()` (helmet, logging, compression).
   */
  mount?: 'server' | 'framework';
  /** Verifies publisher tokens. Without it, publishing over HTTP is refused (in-process works). */
  publisherJwt?: MercureHubJwtOptions;
  /** Verifies subscriber tokens; defaults to `publisherJwt`. */
  subscriberJwt?: MercureHubJwtOptions;
  /** Lets subscribers without a token connect (they receive public updates only). Default false. */
  anonymous?: boolean;
  /**
   * Origins allowed to use the hub from a browser (CORS). With a list, the matching origin is
   * echoed and credentials (the cookie) are allowed; `'*'` allows every origin without credentials.
   */
  cors?: { origins: string[] | '*' };
  /**
   * Origins from which a publisher authenticated by the cookie may publish (CSRF protection): the
   * request's `Origin` (or `Referer`) must be one of them. `['*']` disables the check.
   */
  publishOrigins?: string[];
  /** Name of the 0.x authorization cookie; `mercureAuthorization` by default. */
  cookieName?: string;
  /** Milliseconds between heartbeat comments on idle streams (default 40000; 0 disables). */
  heartbeat?: number;
  /** Updates kept for replay (default 1000; 0 disables replay). Approximate with Redis. */
  historySize?: number;
  /** Largest publish body in bytes (default 1 MiB); larger bodies are answered 413. */
  maxBodySize?: number;
  /** Publishes subscription events and serves the `/subscriptions` API (default false). */
  subscriptions?: boolean;
  /** Where updates go between publishers and subscribers: `'memory'` (default), Redis, or your own. */
  transport?: 'memory' | MercureHubRedisTransportOptions | HubTransport;
  /**
   * Bytes that may wait in a subscriber connection's send buffer; a subscriber that falls further
   * behind is disconnected (it can reconnect with `Last-Event-ID`). Default 1 MiB.
   */
  writeBufferLimit?: number;
  /** Seconds of clock skew tolerated when checking `exp` and `nbf` (default 0). */
  clockTolerance?: number;
  /**
   * Most distinct URI templates subscribed at once on this instance (default 10000); a subscription
   * that would add more is answered 429. Exact topics are not counted.
   */
  maxTemplates?: number;
  /**
   * 1.0: most distinct URL patterns (`match_urlpattern`) subscribed at once on this instance
   * (default 200; they count towards `maxTemplates` too). A URL pattern costs a publish far more
   * than a URI template when many share a URL prefix; a subscription that would add more is
   * answered 429.
   */
  maxUrlPatterns?: number;
}

export interface MercureHubOptionsFactory {
  createMercureHubOptions(): MercureHubModuleOptions | Promise<MercureHubModuleOptions>;
}

export interface MercureHubModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory?: (...args: any[]) => MercureHubModuleOptions | Promise<MercureHubModuleOptions>;
  useClass?: Type<MercureHubOptionsFactory>;
  useExisting?: Type<MercureHubOptionsFactory>;
}

/** A configuration mistake found at start-up; the message names the option (never a key). */
export class MercureHubConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MercureHubConfigError';
  }
}
