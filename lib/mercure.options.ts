import type { ModuleMetadata, Type, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
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
  /** Topic selectors of the `mercure.publish` claim; `["*"]` by default. */
  publish?: string[];
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
  /** Replaces the HTTP/in-process transport (used by the testing helpers). */
  transport?: PublishTransport;
}

export interface MercureDeliveryOptions {
  /** Per-request timeout in milliseconds (default 5000). */
  timeout?: number;
  /** Retries after the first attempt on network errors, 5xx and 429 (default 5). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry, with full jitter (default 100). */
  retryDelay?: number;
  /** Upper bound of a backoff delay in ms (default 5000). */
  maxRetryDelay?: number;
  /** Keep-alive connections per hub origin (default 16). */
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
