import type { ModuleMetadata, Type, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
import type { TopicMatch } from './jwt/access-token';
import type { PublishTransport } from './publisher/publish-transport';

/** A ready-made publisher token, used as is. */
export interface MercureJwtTokenOptions {
  token: string;
}

/** A key from which the publisher token is signed (with jose). */
export interface MercureJwtSecretOptions {
  /** HMAC secret (string) or a private key (PEM string for RS/ES/PS algorithms, or a KeyObject). */
  secret: string | import('crypto').KeyObject;
  /** JWS algorithm; `HS256` by default. */
  algorithm?: string;
  /**
   * Topics the token allows publishing to; `["*"]` by default. 0.x: selectors of the
   * `mercure.publish` claim; 1.0: exact topics, or `{ match, match_type: 'urlpattern' }`.
   */
  publish?: TopicMatch[];
  /** 1.0: seconds a token lasts (default 3600); a new one is signed when half of it has passed. */
  lifetime?: number;
  /**
   * Lets `MercureAuthorizationModule` sign subscriber tokens with this HMAC secret when it is
   * shorter than its hash (a start-up error otherwise), for a hub whose key you do not choose.
   * The publisher signs with any non-empty secret.
   */
  allowInsecureKeySizes?: boolean;
}

/** Returns the publisher token; called before each request to the hub, so it may rotate tokens. */
export type MercureTokenFactory = () => string | Promise<string>;

export type MercureJwtOptions = MercureJwtTokenOptions | MercureJwtSecretOptions | MercureTokenFactory;

export interface MercureHubOptions {
  /**
   * Where updates are POSTed. When absent and `MercureHubModule` is imported in the same app,
   * updates go in-process to the embedded hub.
   */
  publishUrl?: string;
  /** Public hub URL advertised in the `Link` header; defaults to `publishUrl` (or the embedded hub). */
  subscribeUrl?: string;
  /** How the publisher authenticates; not needed for the embedded hub in-process. */
  jwt?: MercureJwtOptions;
  /**
   * The Mercure protocol the hub speaks: `'0.x'` (default, until the reference hub tags 1.0) or
   * `'1.0'`, whose publisher tokens (signed from `jwt.secret`) are RFC 9068 access tokens and whose
   * discovery `Link` carries the 1.0 attributes. A hub in `both` mode takes either.
   */
  protocol?: '0.x' | '1.0';
  /** 1.0: the `iss` of the tokens this app signs (required with `jwt.secret` on 1.0). */
  issuer?: string;
  /** 1.0: the hub's resource identifier, put in `aud`; default: `subscribeUrl`, else `publishUrl`. */
  audience?: string;
  /** Replaces the HTTP/in-process transport (used by the testing helpers). */
  transport?: PublishTransport;
}

/** The transactional outbox's relay (`delivery.mode: 'outbox'`). */
export interface MercureOutboxOptions {
  /** How long a claimed row belongs to one instance unless renewed, in ms (default 15000). Rows of a crashed instance wait this long. */
  leaseDuration?: number;
  /** Fallback scan for rows the in-process wake-up did not cover, in ms (default 1000). */
  sweepInterval?: number;
  /** Rows claimed per query (default 100); at most ten times as many are held in memory. */
  batchSize?: number;
  /** Rows sent at once across topics (default 64). */
  concurrency?: number;
  /** How long a hub may fail before a warning is logged, in ms (default 10000). */
  alertAfter?: number;
}

export interface MercureDeliveryOptions {
  /**
   * `'memory'` (default): updates wait in the process until the hub takes them (see `retryWindow`,
   * `maxPending`); what the process holds dies with it. `'outbox'`: updates are written to the
   * `mercure_outbox` table in the transaction of the change and delivered from there: none is lost
   * once committed, whatever happens to the hub or the process.
   */
  mode?: 'memory' | 'outbox';
  /** Outbox relay settings. */
  outbox?: MercureOutboxOptions;
  /** Per-request timeout in milliseconds (default 5000). */
  timeout?: number;
  /** Memory mode: how long an update is retried (network errors, timeouts, 5xx, 429) before it is given up, in ms (default 60000). */
  retryWindow?: number;
  /** Memory mode: updates held at most, waiting or retried; beyond, new ones are given up (default 10000). */
  maxPending?: number;
  /** Memory mode: retries after the first attempt, within `retryWindow` (default: no limit but the window). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry, with full jitter (default 100). */
  retryDelay?: number;
  /** Upper bound of a backoff delay in ms (default 5000). */
  maxRetryDelay?: number;
  /** Keep-alive connections per hub origin (default 32). */
  connections?: number;
  /** Wait for the hub before `em.flush()` / the commit resolves (default false). */
  waitForDelivery?: boolean;
  /** On application shutdown, how long pending updates may take to be delivered (default 5000 ms). */
  shutdownTimeout?: number;
}

export interface MercureModuleOptions extends MercureHubOptions {
  /** Named hubs besides (or instead of) the top-level one; a resource picks one with `hub`. */
  hubs?: Record<string, MercureHubOptions>;
  /** The hub used when a resource names none: `default` (the top-level options) unless set. */
  defaultHub?: string;
  /** Base of absolute topic IRIs, e.g. `https://api.example.com`. */
  baseUrl?: string;
  /**
   * Where the discovery `Link` header goes: every response (`'all'`, the default), only the
   * controllers and handlers marked with `@MercureDiscovery()` (`'decorated'`), or nowhere (`false`).
   */
  discovery?: 'all' | 'decorated' | false;
  delivery?: MercureDeliveryOptions;
  /** Register the module globally (default true). */
  isGlobal?: boolean;
}

export interface MercureOptionsFactory {
  createMercureOptions(): MercureModuleOptions | Promise<MercureModuleOptions>;
}

export interface MercureModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory?: (...args: any[]) => MercureModuleOptions | Promise<MercureModuleOptions>;
  useClass?: Type<MercureOptionsFactory>;
  useExisting?: Type<MercureOptionsFactory>;
  isGlobal?: boolean;
}
