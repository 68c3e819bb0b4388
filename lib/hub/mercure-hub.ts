import type { IncomingMessage, ServerResponse } from 'http';
import { HubDeliveryError } from '../publisher/publish-transport';
import type { LocalHub } from '../publisher/local-hub';
import { HubAuthorization } from './authorization';
import { HubCors } from './cors';
import { HubFanOut } from './fan-out';
import { HubConfig, resolveHubConfig } from './hub-config';
import { consoleHubLogger, MercureHubLogger } from './hub-logger';
import type { HubTransport } from './hub-transport';
import { HubUpdate, InvalidUpdateError, UpdateInput, validateUpdate } from './hub-update';
import { HttpError, messageOf, sendText, splitUrl } from './http-util';
import type { MercureHubModuleOptions } from './mercure-hub.options';
import { PublishHandler } from './publish';
import { readQueryParameters } from './query-method';
import { resourceMetadataPath, sendResourceMetadata } from './resource-metadata';
import { SubscribeHandler } from './subscribe';
import { SubscriberIndex } from './subscriber-index';
import { SubscriptionsApi } from './subscriptions-api';
import { TopicSelectorStore } from './topic-selector';
import { createTransport } from './transport-factory';

export type { MercureHubLogger } from './hub-logger';
export { encodeTemplateValue } from './subscriptions-api';
export { MAX_SELECTORS_PER_SUBSCRIPTION, MAX_SELECTOR_LENGTH } from './protocol-0x';

export interface MercureHubCoreOptions extends MercureHubModuleOptions {
  logger?: MercureHubLogger;
}

type Next = (error?: unknown) => void;

/** What the hub holds, to check that it stays bounded (tests, diagnostics). */
export interface MercureHubStats {
  connections: number;
  /** Distinct URI templates subscribers use. */
  templates: number;
  /** Compiled templates kept for subscribers, and their size in NFA states. */
  retainedTemplates: number;
  retainedStates: number;
  /** Compiled templates of tokens, in a bounded LRU. */
  transientTemplates: number;
  /** Cached (template, topic) match results, in a bounded LRU. */
  cachedResults: number;
  /** Update ids remembered to recognize a repeated publish. */
  rememberedIds: number;
}

/**
 * The embedded Mercure hub (protocols 0.x and 1.0, see the `protocol` option), free of any framework: plain node `IncomingMessage` /
 * `ServerResponse` handling (`handle`, usable as `http.createServer(hub.handler)` or as Express /
 * Connect middleware). This class routes and keeps the life cycle; each concern has its own file:
 * `publish`, `subscribe`, `fan-out` (with `subscriber-index`), `authorization`, `subscriptions-api`,
 * `cors`, `hub-config`; what depends on the protocol version is behind `HubProtocol`.
 */
export class MercureHub implements LocalHub {
  readonly path: string;
  /** `(req, res, next?)`: serves the hub's paths, hands anything else to `next` (or answers 404). */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

  private readonly config: HubConfig;
  private readonly logger: MercureHubLogger;
  private readonly transport: HubTransport;
  private readonly selectors = new TopicSelectorStore();
  private readonly index: SubscriberIndex;
  private readonly fanOut: HubFanOut;
  private readonly cors: HubCors;
  private readonly publisher: PublishHandler;
  private readonly subscribing: SubscribeHandler;
  private readonly subscriptions: SubscriptionsApi;

  private heartbeatTimer?: NodeJS.Timeout;
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private startPromise?: Promise<void>;
  private closePromise?: Promise<void>;

  constructor(options: MercureHubCoreOptions = {}) {
    this.config = resolveHubConfig(options);
    this.logger = options.logger ?? consoleHubLogger();
    this.path = this.config.path;
    this.transport = createTransport(options.transport, this.config.historySize, this.logger);
    this.index = new SubscriberIndex(this.selectors, this.config.maxTemplates, this.config.maxUrlPatterns);
    this.fanOut = new HubFanOut(this.index, this.selectors, this.config.writeBufferLimit);
    this.cors = new HubCors(this.config.corsOrigins, this.config.versions.has('1.0') ? 'GET, POST, QUERY, OPTIONS' : undefined);
    const authorization = new HubAuthorization(this.config, this.selectors, this.logger);
    this.publisher = new PublishHandler(
      this.transport,
      authorization,
      this.logger,
      this.config.maxBodySize,
      this.config.recentIds,
      new Set(this.config.versions.has('1.0') ? ['mercure'] : []),
    );
    this.subscriptions = new SubscriptionsApi(
      `${this.path}/subscriptions`,
      this.transport,
      authorization,
      this.logger,
      () => this.state === 'closed',
      this.config.versions,
      this.config.accessToken && `${this.config.accessToken.audience.replace(/\/$/, '')}/subscriptions`,
    );
    this.subscribing = new SubscribeHandler({
      config: this.config,
      authorization,
      index: this.index,
      fanOut: this.fanOut,
      transport: this.transport,
      logger: this.logger,
      isRunning: () => this.state === 'running',
      announce: (sub, active) => this.subscriptions.announce(sub, active),
    });
    this.handler = (req, res, next) => this.handle(req, res, next);
  }

  /** Starts the transport and the heartbeat; the handler answers 503 until then. Idempotent. */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      this.state = 'starting';
      await this.transport.start((update) => {
        this.publisher.remember(update.id);
        this.fanOut.deliver(update);
      });
      if (this.state !== 'starting') return;
      this.state = 'running';
      const heartbeat = this.config.heartbeat;
      if (heartbeat > 0) {
        this.heartbeatTimer = setInterval(() => this.fanOut.beat(), Math.max(1, Math.floor(heartbeat / 2)));
        this.heartbeatTimer.unref();
      }
    })();
    return this.startPromise;
  }

  /** Number of open subscriber connections on this instance. */
  get connectionCount(): number {
    return this.index.all.size;
  }

  /** What the hub holds; every figure is bounded, and back near zero once subscribers leave. */
  stats(): MercureHubStats {
    const selectors = this.selectors.stats;
    return {
      connections: this.index.all.size,
      templates: this.index.templateCount,
      ...selectors,
      rememberedIds: this.publisher.rememberedIds,
    };
  }

  /**
   * Publishes in-process, with the validation of an HTTP publish and no token. Resolves with the
   * update id (an id accepted recently is not delivered again); rejects with a `HubDeliveryError`
   * (status 400 when the update is invalid).
   */
  async publish(input: UpdateInput): Promise<string> {
    let update: HubUpdate;
    try {
      update = validateUpdate({
        topics: input.topics,
        data: input.data,
        private: input.private,
        id: input.id,
        type: input.type,
        retry: input.retry,
      });
    } catch (error) {
      if (error instanceof InvalidUpdateError) throw new HubDeliveryError(error.message, false, 400);
      throw error;
    }
    if (this.state === 'new') await this.start();
    if (this.state === 'starting') await this.startPromise;
    if (this.state === 'closed') throw new HubDeliveryError('The Mercure hub is closed', false, 503);
    try {
      return await this.publisher.accept(update);
    } catch (error) {
      throw new HubDeliveryError(`The Mercure hub could not dispatch the update: ${messageOf(error)}`, true, 503);
    }
  }

  /** Whether `handle` answers this request itself (rather than passing it to `next`). */
  owns(req: IncomingMessage): boolean {
    const { path } = splitUrl(req);
    return path === this.path || this.isApi(path) || this.isMetadata(path, req.method);
  }

  /** Serves a request to the hub; anything outside its paths goes to `next` (or gets a 404). */
  handle(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const { path, rawQuery } = splitUrl(req);
    const isHub = path === this.path;
    const isApi = !isHub && this.isApi(path);
    if (!isHub && !isApi && this.isMetadata(path, req.method)) {
      sendResourceMetadata(res, this.config);
      return;
    }
    if (!isHub && !isApi) {
      if (next) next();
      else this.sendError(res, new HttpError(404, 'Not Found'));
      return;
    }
    this.cors.apply(req, res);
    let work: Promise<void>;
    if (req.method === 'OPTIONS') {
      work = Promise.resolve().then(() => this.cors.preflight(req, res));
    } else if (this.state !== 'running') {
      work = Promise.reject(new HttpError(503, 'The Mercure hub is not running', { 'Retry-After': '1' }));
    } else if (isHub && (req.method === 'GET' || req.method === 'HEAD')) {
      work = this.subscribing.handle(req, res, new URLSearchParams(rawQuery));
    } else if (isHub && req.method === 'QUERY' && this.config.versions.has('1.0')) {
      work = readQueryParameters(req, rawQuery).then((query) => this.subscribing.handle(req, res, query));
    } else if (isHub && req.method === 'POST') {
      work = this.publisher.handleHttp(req, res, rawQuery);
    } else if (isApi && req.method === 'GET') {
      work = this.subscriptions.serve(req, res, path, rawQuery);
    } else {
      const allow = isHub ? `GET, POST, ${this.config.versions.has('1.0') ? 'QUERY, ' : ''}OPTIONS` : 'GET, OPTIONS';
      work = Promise.reject(new HttpError(405, 'Method Not Allowed', { Allow: allow }));
    }
    work.catch((error) => this.sendError(res, error));
  }

  /**
   * Ends every stream and refuses new subscribers (publishing in-process still works until
   * `close`). Resolves when the connections are closed.
   */
  async closeConnections(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting' || this.state === 'new') this.state = 'closing';
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const subscribers = [...this.index.all];
    const closing: Promise<void>[] = [];
    for (const sub of subscribers) {
      const res = sub.res;
      this.subscribing.remove(sub);
      if (res.destroyed) continue;
      closing.push(new Promise<void>((resolve) => res.once('close', () => resolve())));
      if (!res.headersSent) {
        // Still replaying its history: it never got its stream.
        this.sendError(res, new HttpError(503, 'The Mercure hub is shutting down'));
      } else {
        res.end();
      }
      // The stream is over: do not keep the connection alive, so the server can close promptly.
      res.socket?.end();
    }
    if (closing.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closing),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000).unref())),
      ]);
      clearTimeout(timer);
      for (const sub of subscribers) sub.res.destroy();
    }
  }

  /** Ends every stream and closes the transport. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      await this.closeConnections();
      this.state = 'closed';
      await this.transport.close();
    })();
    return this.closePromise;
  }

  private isApi(path: string): boolean {
    return this.config.subscriptions && this.subscriptions.owns(path);
  }

  private isMetadata(path: string, method: string | undefined): boolean {
    return this.config.accessToken !== undefined && method === 'GET' && path === resourceMetadataPath(this.path);
  }

  private sendError(res: ServerResponse, error: unknown): void {
    let status = 500;
    let message = 'Internal Server Error';
    let headers: Record<string, string> = {};
    if (error instanceof HttpError) {
      ({ status, message, headers } = error);
    } else {
      this.logger.error(`Unexpected error: ${messageOf(error)}`, (error as Error)?.stack);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendText(res, status, message + '\n', headers);
  }
}
