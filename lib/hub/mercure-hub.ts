import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { DEFAULT_HUB_PATH } from '../mercure.constants';
import { HubDeliveryError } from '../publisher/publish-transport';
import type { LocalHub } from '../publisher/local-hub';
import { readPublishForm, PublishBodyError } from './form-body';
import { EARLIEST, HubHistory, HubTransport, SubscriptionInfo } from './hub-transport';
import { HubUpdate, InvalidUpdateError, UpdateInput, validateUpdate, generateUpdateId } from './hub-update';
import { JwtVerifier, MercureClaims, TokenError } from './jwt';
import { MemoryHubTransport } from './memory-transport';
import { MercureHubConfigError, MercureHubModuleOptions } from './mercure-hub.options';
import { encodeEventBuffer, SSE_COMMENT } from './sse';
import { Subscriber } from './subscriber';
import { TopicSelectorStore } from './topic-selector';
import { MAX_TEMPLATE_LENGTH } from './uri-template';

/** Where the hub reports problems; Nest's `Logger` fits. */
export interface MercureHubLogger {
  log?(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

export interface MercureHubCoreOptions extends MercureHubModuleOptions {
  logger?: MercureHubLogger;
}

type Next = (error?: unknown) => void;

/** Most `topic` parameters in one subscription request. */
export const MAX_SELECTORS_PER_SUBSCRIPTION = 1000;
/** Longest topic selector a subscriber may send. */
export const MAX_SELECTOR_LENGTH = MAX_TEMPLATE_LENGTH;
/** Live updates buffered for one subscriber while its history is replayed. */
const MAX_PENDING_UPDATES = 10_000;

const DEFAULTS = {
  cookieName: 'mercureAuthorization',
  heartbeat: 40_000,
  historySize: 1000,
  maxBodySize: 1024 * 1024,
  writeBufferLimit: 1024 * 1024,
};

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: 'Fri, 01 Jan 1990 00:00:00 GMT',
  // Tells nginx (and friends) not to buffer the stream.
  'X-Accel-Buffering': 'no',
};

const JSON_LD_CONTEXT = 'https://mercure.rocks/';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** RFC 6570 simple-string expansion of one value: everything but unreserved characters is encoded. */
export function encodeTemplateValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The embedded Mercure hub (protocol 0.x), free of any framework: plain node `IncomingMessage` /
 * `ServerResponse` handling (`handle`, usable as `http.createServer(hub.handler)` or as Express /
 * Connect middleware) around publish, subscribe, history and active subscriptions.
 *
 * Fan-out: each update's SSE frame is encoded once and the same buffer is written to every
 * matching connection; subscribers are indexed by exact topic, `*`, and distinct template, and
 * template matches are cached, so a dispatch costs one lookup per topic plus one (cached) match per
 * distinct template, plus the writes.
 */
export class MercureHub implements LocalHub {
  readonly path: string;
  /** `(req, res, next?)`: serves the hub's paths, hands anything else to `next` (or answers 404). */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

  private readonly subscriptionsPath: string;
  private readonly publisherJwt?: JwtVerifier;
  private readonly subscriberJwt?: JwtVerifier;
  private readonly anonymous: boolean;
  private readonly corsOrigins?: '*' | ReadonlySet<string>;
  private readonly publishOrigins: ReadonlySet<string>;
  private readonly cookieName: string;
  private readonly heartbeat: number;
  private readonly historySize: number;
  private readonly maxBodySize: number;
  private readonly writeBufferLimit: number;
  private readonly trackSubscriptions: boolean;
  private readonly transport: HubTransport;
  private readonly logger: MercureHubLogger;

  private readonly selectors = new TopicSelectorStore();
  private readonly subscribers = new Set<Subscriber>();
  private readonly exact = new Map<string, Set<Subscriber>>();
  private readonly wildcard = new Set<Subscriber>();
  private readonly templates = new Map<string, Set<Subscriber>>();
  private readonly localSubscriptions = new Map<string, SubscriptionInfo>();
  private readonly frames = new WeakMap<HubUpdate, Buffer>();

  private epoch = 0;
  private tick = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private startPromise?: Promise<void>;
  private closePromise?: Promise<void>;

  constructor(options: MercureHubCoreOptions = {}) {
    this.logger = options.logger ?? {
      warn: (m) => console.warn(`[MercureHub] ${m}`),
      error: (m, s) => console.error(`[MercureHub] ${m}`, s ?? ''),
    };
    this.path = checkPath(options.path ?? DEFAULT_HUB_PATH);
    this.subscriptionsPath = `${this.path}/subscriptions`;
    const tolerance = nonNegative(options.clockTolerance ?? 0, 'clockTolerance');
    if (options.publisherJwt !== undefined) {
      this.publisherJwt = JwtVerifier.create(options.publisherJwt, 'publisherJwt', tolerance);
    }
    if (options.subscriberJwt !== undefined) {
      this.subscriberJwt = JwtVerifier.create(options.subscriberJwt, 'subscriberJwt', tolerance);
    } else {
      this.subscriberJwt = this.publisherJwt;
    }
    if (options.anonymous !== undefined && typeof options.anonymous !== 'boolean') {
      throw new MercureHubConfigError('anonymous must be a boolean');
    }
    this.anonymous = options.anonymous ?? false;
    if (!this.anonymous && !this.subscriberJwt) {
      throw new MercureHubConfigError(
        'anonymous is false (the default) but neither subscriberJwt nor publisherJwt is set: no subscriber could connect',
      );
    }
    this.corsOrigins = checkCors(options.cors);
    this.publishOrigins = new Set(checkOrigins(options.publishOrigins ?? [], 'publishOrigins', true));
    this.cookieName = options.cookieName ?? DEFAULTS.cookieName;
    if (typeof this.cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.cookieName)) {
      throw new MercureHubConfigError('cookieName must be a valid cookie name');
    }
    this.heartbeat = nonNegative(options.heartbeat ?? DEFAULTS.heartbeat, 'heartbeat');
    this.historySize = nonNegative(options.historySize ?? DEFAULTS.historySize, 'historySize', true);
    this.maxBodySize = positive(options.maxBodySize ?? DEFAULTS.maxBodySize, 'maxBodySize');
    this.writeBufferLimit = positive(options.writeBufferLimit ?? DEFAULTS.writeBufferLimit, 'writeBufferLimit');
    if (options.subscriptions !== undefined && typeof options.subscriptions !== 'boolean') {
      throw new MercureHubConfigError('subscriptions must be a boolean');
    }
    this.trackSubscriptions = options.subscriptions ?? false;
    this.transport = createTransport(options.transport, this.historySize, this.logger);
    this.handler = (req, res, next) => this.handle(req, res, next);
  }

  /** Starts the transport and the heartbeat; the handler answers 503 until then. Idempotent. */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      this.state = 'starting';
      await this.transport.start((update) => this.fanOut(update));
      if (this.state !== 'starting') return;
      this.state = 'running';
      if (this.heartbeat > 0) {
        this.heartbeatTimer = setInterval(() => this.beat(), Math.max(1, Math.floor(this.heartbeat / 2)));
        this.heartbeatTimer.unref();
      }
    })();
    return this.startPromise;
  }

  /** Number of open subscriber connections on this instance. */
  get connectionCount(): number {
    return this.subscribers.size;
  }

  /**
   * Publishes in-process, with the validation of an HTTP publish and no token. Resolves with the
   * update id; rejects with a `HubDeliveryError` (status 400 when the update is invalid).
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
      await this.transport.dispatch(update);
    } catch (error) {
      throw new HubDeliveryError(`The Mercure hub could not dispatch the update: ${messageOf(error)}`, true, 503);
    }
    return update.id;
  }

  /** Serves a request to the hub; anything outside its paths goes to `next` (or gets a 404). */
  handle(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const isHub = path === this.path;
    const isApi = !isHub && (path === this.subscriptionsPath || path.startsWith(this.subscriptionsPath + '/'));
    if (!isHub && !(isApi && this.trackSubscriptions)) {
      if (next) next();
      else this.sendError(res, new HttpError(404, 'Not Found'));
      return;
    }
    this.applyCors(req, res);
    if (req.method === 'OPTIONS') {
      this.preflight(req, res);
      return;
    }
    let work: Promise<void>;
    if (this.state !== 'running') {
      work = Promise.reject(new HttpError(503, 'The Mercure hub is not running', { 'Retry-After': '1' }));
    } else if (isHub && (req.method === 'GET' || req.method === 'HEAD')) {
      work = this.subscribe(req, res, rawQuery);
    } else if (isHub && req.method === 'POST') {
      work = this.publishFromHttp(req, res, rawQuery);
    } else if (isApi && req.method === 'GET') {
      work = this.serveSubscriptions(req, res, path, rawQuery);
    } else {
      const allow = isHub ? 'GET, POST, OPTIONS' : 'GET, OPTIONS';
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
    const subscribers = [...this.subscribers];
    const closing: Promise<void>[] = [];
    for (const sub of subscribers) {
      const res = sub.res;
      this.removeSubscriber(sub);
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

  // ---------------------------------------------------------------------------------------------
  // Subscribe

  private async subscribe(req: IncomingMessage, res: ServerResponse, rawQuery: string): Promise<void> {
    const query = new URLSearchParams(rawQuery);
    const selectors = query.getAll('topic');
    if (selectors.length === 0) throw new HttpError(400, 'Missing "topic" parameter');
    if (selectors.length > MAX_SELECTORS_PER_SUBSCRIPTION) {
      throw new HttpError(400, `Too many "topic" parameters: at most ${MAX_SELECTORS_PER_SUBSCRIPTION}`);
    }
    for (const selector of selectors) {
      if (selector === '' || selector.length > MAX_SELECTOR_LENGTH) {
        throw new HttpError(400, `Invalid "topic" parameter: 1 to ${MAX_SELECTOR_LENGTH} characters`);
      }
    }
    const claims = await this.authorizeSubscriber(req, query);
    // The header wins over the query parameter; `Last-Event-ID` as a query parameter is the name
    // older clients use.
    const requested =
      headerValue(req.headers['last-event-id']) ?? query.get('lastEventID') ?? query.get('Last-Event-ID') ?? undefined;
    if (requested !== undefined && requested !== EARLIEST && this.historySize > 0 && this.transport.catchUp) {
      // The id may come from another instance: wait until this one has seen everything stored.
      await this.transport.catchUp();
    }
    if (res.destroyed || this.state !== 'running') {
      if (this.state !== 'running') throw new HttpError(503, 'The Mercure hub is shutting down');
      return;
    }

    const allowed = claims?.subscribe;
    const sub = new Subscriber(
      `urn:uuid:${randomUUID()}`,
      [...new Set(selectors)],
      res,
      allowed,
      allowed ? JSON.stringify(allowed) : undefined, // unambiguous cache key of the claim
      claims?.payload,
    );

    let history: HubHistory | undefined;
    let lastEventId: string;
    if (requested !== undefined) {
      // Register first (buffering live updates), then read the history up to the cursor read now:
      // every update arrives once, either replayed or live.
      const cursor = this.transport.cursor();
      sub.pending = [];
      this.addSubscriber(sub);
      res.once('close', () => this.removeSubscriber(sub));
      try {
        history =
          this.historySize > 0
            ? await this.transport.history(requested, cursor)
            : { updates: [], precedingId: EARLIEST };
      } catch (error) {
        this.logger.error(`Could not read the history: ${messageOf(error)}`);
        history = { updates: [], precedingId: EARLIEST };
      }
      lastEventId = history.precedingId;
      if (sub.closed) return;
    } else {
      lastEventId = this.transport.lastEventId();
      this.addSubscriber(sub);
      res.once('close', () => this.removeSubscriber(sub));
    }

    // A close-delimited body instead of chunked encoding: the stream lasts as long as the
    // connection anyway, and each write is then a single buffer (about 3x the fan-out rate).
    res.removeHeader('Transfer-Encoding');
    res.writeHead(200, { ...SSE_HEADERS, Connection: 'close', 'Last-Event-ID': headerSafe(lastEventId) });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(SSE_COMMENT);
    sub.lastTick = this.tick;

    if (history) {
      for (const update of history.updates) {
        if (this.wants(sub, update)) res.write(this.frameOf(update));
      }
      const pending = sub.pending ?? [];
      sub.pending = null;
      for (const update of pending) res.write(this.frameOf(update));
      // The replay may exceed the send-buffer limit; tolerate it until it drains.
      sub.allowance = res.writableLength;
      if (sub.allowance > 0) res.once('drain', () => (sub.allowance = 0));
    }

    if (claims?.exp !== undefined) this.scheduleExpiry(sub, claims.exp);
    if (this.trackSubscriptions) this.announce(sub, true);
  }

  private async authorizeSubscriber(req: IncomingMessage, query: URLSearchParams): Promise<MercureClaims | undefined> {
    const token = this.extractToken(req, query, false);
    if (token === undefined) {
      if (this.anonymous) return undefined;
      throw new HttpError(401, 'Unauthorized');
    }
    if (!this.subscriberJwt) throw new HttpError(401, 'Unauthorized');
    return this.verify(this.subscriberJwt, token);
  }

  private scheduleExpiry(sub: Subscriber, exp: number): void {
    const delay = exp * 1000 - Date.now();
    if (delay <= 0) {
      sub.res.end();
      return;
    }
    // setTimeout caps at about 24.8 days; check again then.
    sub.expiryTimer = setTimeout(() => {
      sub.expiryTimer = undefined;
      if (exp * 1000 - Date.now() > 0) this.scheduleExpiry(sub, exp);
      else sub.res.end();
    }, Math.min(delay, 2_147_483_647));
    sub.expiryTimer.unref();
  }

  private addSubscriber(sub: Subscriber): void {
    this.subscribers.add(sub);
    for (const selector of sub.selectors) {
      let index: Map<string, Set<Subscriber>>;
      if (selector === '*') {
        this.wildcard.add(sub);
        continue;
      } else if (TopicSelectorStore.isTemplate(selector)) {
        index = this.templates;
      } else {
        index = this.exact;
      }
      let set = index.get(selector);
      if (!set) index.set(selector, (set = new Set()));
      set.add(sub);
    }
  }

  private removeSubscriber(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.pending = null;
    if (sub.expiryTimer) clearTimeout(sub.expiryTimer);
    this.subscribers.delete(sub);
    for (const selector of sub.selectors) {
      if (selector === '*') {
        this.wildcard.delete(sub);
        continue;
      }
      const index = TopicSelectorStore.isTemplate(selector) ? this.templates : this.exact;
      const set = index.get(selector);
      if (set) {
        set.delete(sub);
        if (set.size === 0) index.delete(selector);
      }
    }
    if (sub.subscriptions.length > 0) this.announce(sub, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Fan-out

  /** Delivers one update (from the transport, in order) to the matching local subscribers. */
  private fanOut(update: HubUpdate): void {
    if (this.subscribers.size === 0) return;
    const epoch = ++this.epoch;
    const round: Round = { epoch, update, frame: undefined, auth: undefined };
    const topics = update.topics;
    for (let i = 0; i < topics.length; i++) {
      const set = this.exact.get(topics[i]);
      if (set) for (const sub of set) this.offer(sub, round);
    }
    for (const sub of this.wildcard) this.offer(sub, round);
    if (this.templates.size > 0) {
      for (const [selector, set] of this.templates) {
        for (let i = 0; i < topics.length; i++) {
          if (this.selectors.matches(selector, topics[i])) {
            for (const sub of set) this.offer(sub, round);
            break;
          }
        }
      }
    }
  }

  private offer(sub: Subscriber, round: Round): void {
    if (sub.epoch === round.epoch) return;
    sub.epoch = round.epoch;
    const update = round.update;
    if (update.private) {
      const key = sub.authKey;
      if (key === undefined) return;
      round.auth ??= new Map();
      let allowed = round.auth.get(key);
      if (allowed === undefined) {
        allowed = this.selectors.matchesAny(sub.allowed!, update.topics);
        round.auth.set(key, allowed);
      }
      if (!allowed) return;
    }
    if (sub.pending) {
      if (sub.pending.length >= MAX_PENDING_UPDATES) {
        sub.res.destroy();
        return;
      }
      sub.pending.push(update);
      return;
    }
    this.write(sub, (round.frame ??= this.frameOf(update)));
  }

  private write(sub: Subscriber, frame: Buffer): void {
    const res = sub.res;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > this.writeBufferLimit + sub.allowance) {
      // Too slow: drop it rather than buffer without bound; it can reconnect with Last-Event-ID.
      res.destroy();
      return;
    }
    res.write(frame);
    sub.lastTick = this.tick;
  }

  /** Whether a replayed update is for this subscriber (topics and, when private, authorization). */
  private wants(sub: Subscriber, update: HubUpdate): boolean {
    if (update.private && !(sub.allowed && this.selectors.matchesAny(sub.allowed, update.topics))) return false;
    return this.selectors.matchesAny(sub.selectors, update.topics);
  }

  private frameOf(update: HubUpdate): Buffer {
    let frame = this.frames.get(update);
    if (!frame) {
      frame = encodeEventBuffer(update);
      this.frames.set(update, frame);
    }
    return frame;
  }

  private beat(): void {
    const tick = ++this.tick;
    for (const sub of this.subscribers) {
      if (sub.pending || sub.lastTick > tick - 2) continue;
      this.write(sub, SSE_COMMENT);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Publish over HTTP

  private async publishFromHttp(req: IncomingMessage, res: ServerResponse, rawQuery: string): Promise<void> {
    const query = new URLSearchParams(rawQuery);
    const token = this.extractToken(req, query, true);
    if (token === undefined || !this.publisherJwt) throw new HttpError(401, 'Unauthorized');
    const claims = await this.verify(this.publisherJwt, token);
    if (!claims.publish || claims.publish.length === 0) throw new HttpError(401, 'Unauthorized');

    let input: UpdateInput;
    try {
      input = await readPublishForm(req, this.maxBodySize);
    } catch (error) {
      if (error instanceof PublishBodyError) {
        throw new HttpError(error.status, error.message, error.status === 413 ? { Connection: 'close' } : {});
      }
      throw error;
    }
    let update: HubUpdate;
    try {
      update = validateUpdate(input);
    } catch (error) {
      if (error instanceof InvalidUpdateError) throw new HttpError(400, error.message);
      throw error;
    }
    if (!this.selectors.matchesAll(claims.publish, update.topics)) throw new HttpError(401, 'Unauthorized');
    try {
      await this.transport.dispatch(update);
    } catch (error) {
      this.logger.error(`Could not dispatch an update: ${messageOf(error)}`);
      throw new HttpError(503, 'The update could not be dispatched');
    }
    if (res.headersSent) return;
    sendText(res, 200, update.id, { 'Cache-Control': 'no-store' });
  }

  // ---------------------------------------------------------------------------------------------
  // Active subscriptions

  private announce(sub: Subscriber, active: boolean): void {
    if (active) {
      sub.subscriptions = sub.selectors.map((topic) => {
        const id = `${this.subscriptionsPath}/${encodeTemplateValue(topic)}/${encodeTemplateValue(sub.id)}`;
        const info: SubscriptionInfo = {
          id,
          topic,
          subscriber: sub.id,
          ...(sub.payload !== undefined && { payload: sub.payload }),
        };
        this.localSubscriptions.set(id, info);
        return info;
      });
    } else {
      for (const info of sub.subscriptions) this.localSubscriptions.delete(info.id);
    }
    const subscriptions = sub.subscriptions;
    const registry = active ? this.transport.addSubscriptions : this.transport.removeSubscriptions;
    if (registry) {
      registry.call(this.transport, subscriptions).catch((error: unknown) => {
        this.logger.warn(`Could not update the subscription registry: ${messageOf(error)}`);
      });
    }
    if (this.state === 'closed') return;
    for (const info of subscriptions) {
      const update: HubUpdate = {
        id: generateUpdateId(),
        topics: [info.id],
        data: JSON.stringify({ '@context': JSON_LD_CONTEXT, ...subscriptionDocument(info, active) }),
        private: true,
      };
      this.transport.dispatch(update).catch((error: unknown) => {
        this.logger.warn(`Could not publish a subscription event: ${messageOf(error)}`);
      });
    }
  }

  private async serveSubscriptions(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    rawQuery: string,
  ): Promise<void> {
    const query = new URLSearchParams(rawQuery);
    const token = this.extractToken(req, query, false);
    if (token === undefined || !this.subscriberJwt) throw new HttpError(401, 'Unauthorized');
    const claims = await this.verify(this.subscriberJwt, token);
    if (!claims.subscribe || !claims.subscribe.some((s) => this.selectors.matches(s, path))) {
      throw new HttpError(401, 'Unauthorized');
    }
    const rest = path.slice(this.subscriptionsPath.length + 1);
    const segments = rest === '' ? [] : rest.split('/');
    if (segments.length > 2 || segments.some((s) => s === '')) throw new HttpError(404, 'Not Found');
    let topic: string | undefined;
    let subscriber: string | undefined;
    try {
      topic = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
      subscriber = segments[1] === undefined ? undefined : decodeURIComponent(segments[1]);
    } catch {
      throw new HttpError(400, 'Invalid percent-encoding in the path');
    }
    const lastEventID = this.transport.lastEventId();
    const all = this.transport.listSubscriptions
      ? await this.transport.listSubscriptions()
      : [...this.localSubscriptions.values()];
    let body: Record<string, unknown>;
    if (subscriber !== undefined) {
      const found = all.find((s) => s.topic === topic && s.subscriber === subscriber);
      if (!found) throw new HttpError(404, 'Not Found');
      body = { '@context': JSON_LD_CONTEXT, ...subscriptionDocument(found, true), lastEventID };
    } else {
      body = {
        '@context': JSON_LD_CONTEXT,
        id: path,
        type: 'Subscriptions',
        lastEventID,
        subscriptions: all.filter((s) => topic === undefined || s.topic === topic).map((s) => subscriptionDocument(s, true)),
      };
    }
    const json = JSON.stringify(body);
    res.writeHead(200, {
      'Content-Type': 'application/ld+json',
      'Content-Length': String(Buffer.byteLength(json)),
      'Cache-Control': 'must-revalidate',
      ETag: JSON.stringify(headerSafe(lastEventID)),
    });
    res.end(json);
  }

  // ---------------------------------------------------------------------------------------------
  // Authorization, CORS, errors

  /**
   * The token, from the `Authorization: Bearer` header, else the `authorization` query parameter,
   * else the cookie; for publishing, the cookie counts only from an allowed origin (CSRF).
   */
  private extractToken(req: IncomingMessage, query: URLSearchParams, publishing: boolean): string | undefined {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(header);
      if (!match) throw new HttpError(401, 'Unauthorized');
      return match[1];
    }
    const fromQuery = query.get('authorization');
    if (fromQuery !== null) return fromQuery;
    const cookie = readCookie(req.headers.cookie, this.cookieName);
    if (cookie === undefined) return undefined;
    if (publishing && !this.isPublishOriginAllowed(req)) throw new HttpError(401, 'Unauthorized');
    return cookie;
  }

  private isPublishOriginAllowed(req: IncomingMessage): boolean {
    if (this.publishOrigins.has('*')) return true;
    let origin = headerValue(req.headers.origin);
    if (origin === undefined) {
      const referer = headerValue(req.headers.referer);
      if (referer === undefined) return false;
      try {
        origin = new URL(referer).origin;
      } catch {
        return false;
      }
    }
    return this.publishOrigins.has(origin);
  }

  private async verify(verifier: JwtVerifier, token: string): Promise<MercureClaims> {
    try {
      return await verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenError) throw new HttpError(401, 'Unauthorized');
      throw error;
    }
  }

  private corsAllows(origin: string | undefined): boolean {
    if (!origin || !this.corsOrigins) return false;
    return this.corsOrigins === '*' || this.corsOrigins.has(origin);
  }

  private applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = headerValue(req.headers.origin);
    if (this.corsOrigins && this.corsOrigins !== '*') res.setHeader('Vary', 'Origin');
    if (!this.corsAllows(origin)) return;
    if (this.corsOrigins === '*') {
      res.setHeader('Access-Control-Allow-Origin', '*');
    } else {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Access-Control-Expose-Headers', 'Last-Event-ID');
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = headerValue(req.headers.origin);
    if (origin !== undefined && !this.corsAllows(origin)) {
      this.sendError(res, new HttpError(403, 'Origin not allowed'));
      return;
    }
    const requested = headerValue(req.headers['access-control-request-headers']);
    res.writeHead(204, {
      Allow: 'GET, POST, OPTIONS',
      ...(origin !== undefined && {
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers':
          requested && /^[\w\-, ]+$/.test(requested) ? requested : 'Authorization, Cache-Control, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      }),
    });
    res.end();
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

interface Round {
  readonly epoch: number;
  readonly update: HubUpdate;
  frame: Buffer | undefined;
  /** Private-update decisions per `mercure.subscribe` set, for this update. */
  auth: Map<string, boolean> | undefined;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function subscriptionDocument(info: SubscriptionInfo, active: boolean): Record<string, unknown> {
  return {
    id: info.id,
    type: 'Subscription',
    topic: info.topic,
    subscriber: info.subscriber,
    active,
    ...(info.payload !== undefined && { payload: info.payload }),
  };
}

function createTransport(
  option: MercureHubModuleOptions['transport'],
  historySize: number,
  logger: MercureHubLogger,
): HubTransport {
  if (option === undefined || option === 'memory') return new MemoryHubTransport(historySize);
  if (typeof option === 'object' && option !== null && (option as { type?: unknown }).type === 'redis') {
    // Loaded on demand: ioredis is an optional peer dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RedisHubTransport } = require('./redis-transport') as typeof import('./redis-transport');
    return new RedisHubTransport({ ...(option as object), historySize, logger } as never);
  }
  if (
    typeof option === 'object' &&
    option !== null &&
    typeof (option as HubTransport).start === 'function' &&
    typeof (option as HubTransport).dispatch === 'function'
  ) {
    return option as HubTransport;
  }
  throw new MercureHubConfigError(`transport must be 'memory', { type: 'redis', ... } or a HubTransport`);
}

function checkPath(path: string): string {
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
    throw new MercureHubConfigError('path must start with "/", without a trailing "/", query or fragment');
  }
  return path;
}

function checkCors(cors: MercureHubModuleOptions['cors']): '*' | ReadonlySet<string> | undefined {
  if (cors === undefined) return undefined;
  if (!cors || typeof cors !== 'object') throw new MercureHubConfigError('cors must be { origins: [...] | "*" }');
  if (cors.origins === '*') return '*';
  return new Set(checkOrigins(cors.origins, 'cors.origins', false));
}

function checkOrigins(origins: unknown, name: string, allowStar: boolean): string[] {
  if (!Array.isArray(origins)) throw new MercureHubConfigError(`${name} must be an array of origins`);
  for (const origin of origins) {
    if (allowStar && origin === '*') continue;
    let ok = false;
    try {
      ok = typeof origin === 'string' && new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new MercureHubConfigError(
        `${name} contains ${JSON.stringify(origin)}, which is not an origin such as "https://example.com"`,
      );
    }
  }
  return origins as string[];
}

function nonNegative(value: number, name: string, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new MercureHubConfigError(`${name} must be a non-negative ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MercureHubConfigError(`${name} must be a positive integer`);
  }
  return value;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Header values must be printable ASCII here; ids are IRIs, so percent-encode anything else. */
function headerSafe(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (code >= 0xd800 && code <= 0xdfff) out += '%EF%BF%BD';
    else for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
