import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { HubAuthorization } from './authorization';
import type { HubFanOut } from './fan-out';
import type { HubConfig } from './hub-config';
import type { MercureHubLogger } from './hub-logger';
import { EARLIEST, HubHistory, HubTransport } from './hub-transport';
import { HttpError, headerSafe, messageOf } from './http-util';
import { Subscriber } from './subscriber';
import type { SubscriberIndex } from './subscriber-index';
import { TopicSelectorStore } from './topic-selector';

/** Most distinct URI templates in one subscription request (exact topics are not counted). */
export const MAX_TEMPLATES_PER_SUBSCRIPTION = 100;

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: 'Fri, 01 Jan 1990 00:00:00 GMT',
  // Tells nginx (and friends) not to buffer the stream.
  'X-Accel-Buffering': 'no',
};

export interface SubscribeContext {
  config: HubConfig;
  authorization: HubAuthorization;
  index: SubscriberIndex;
  fanOut: HubFanOut;
  transport: HubTransport;
  logger: MercureHubLogger;
  isRunning(): boolean;
  /** Subscription events and registry (when `subscriptions` is on). */
  announce(sub: Subscriber, active: boolean): void;
}

/** Opens SSE streams: authorization, registration, history replay, then live updates. */
export class SubscribeHandler {
  constructor(private readonly hub: SubscribeContext) {}

  /** `query`: the URL's parameters (and, for the `QUERY` method, the body's). */
  async handle(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const { config, transport } = this.hub;
    const protocol = this.hub.authorization.protocolOf(query);
    const request = protocol.readSubscription(req, query);
    const templates = request.selectors.filter(TopicSelectorStore.isTemplate).length;
    if (templates > MAX_TEMPLATES_PER_SUBSCRIPTION) {
      throw new HttpError(400, `Too many URI templates: at most ${MAX_TEMPLATES_PER_SUBSCRIPTION} per subscription`);
    }
    const grants = await this.hub.authorization.subscriber(req, query, request.version);
    const requested = request.lastEventId;
    if (requested !== undefined && requested !== EARLIEST && config.historySize > 0 && transport.catchUp) {
      // The id may come from another instance: wait until this one has seen everything stored.
      await transport.catchUp();
    }
    if (res.destroyed || !this.hub.isRunning()) {
      if (!this.hub.isRunning()) throw new HttpError(503, 'The Mercure hub is shutting down');
      return;
    }

    const allowed = grants?.subscribe;
    const sub = new Subscriber(
      `urn:uuid:${randomUUID()}`,
      request.selectors,
      res,
      allowed,
      allowed ? JSON.stringify(allowed) : undefined, // unambiguous cache key of the claim
      grants?.payload,
      request.version,
    );

    let history: HubHistory | undefined;
    let lastEventId: string;
    if (requested !== undefined) {
      // Register first (buffering live updates), then read the history up to the cursor read now:
      // every update arrives once, either replayed or live.
      const cursor = transport.cursor();
      sub.pending = [];
      this.register(sub);
      try {
        history =
          config.historySize > 0 ? await transport.history(requested, cursor) : { updates: [], precedingId: EARLIEST };
      } catch (error) {
        this.hub.logger.error(`Could not read the history: ${messageOf(error)}`);
        history = { updates: [], precedingId: EARLIEST };
      }
      lastEventId = history.precedingId;
      if (sub.closed) return;
    } else {
      lastEventId = transport.lastEventId();
      this.register(sub);
    }

    // A close-delimited body instead of chunked encoding: the stream lasts as long as the
    // connection anyway, and each write is then a single buffer (about 3x the fan-out rate).
    // HTTP/2 has no connection-specific headers (Node warns and drops them): its stream ends alone.
    res.removeHeader('Transfer-Encoding');
    const connection = req.httpVersionMajor < 2 ? { Connection: 'close' } : {};
    res.writeHead(200, { ...SSE_HEADERS, ...connection, [protocol.lastEventIdHeader]: headerSafe(lastEventId) });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const fanOut = this.hub.fanOut;
    fanOut.open(sub);
    if (history) {
      for (const update of history.updates) {
        if (fanOut.wants(sub, update)) fanOut.replay(sub, fanOut.frameOf(update));
      }
      const pending = sub.pending ?? [];
      sub.pending = null;
      for (const update of pending) fanOut.replay(sub, fanOut.frameOf(update));
      // The replay may exceed the send-buffer limit; tolerate it until it drains.
      fanOut.tolerateReplay(sub);
    }

    if (grants?.exp !== undefined) this.scheduleExpiry(sub, grants.exp);
    if (config.subscriptions) this.hub.announce(sub, true);
  }

  /** Forgets a subscriber (its connection closed, or the hub is closing). */
  remove(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.pending = null;
    sub.stream = null;
    if (sub.expiryTimer) clearTimeout(sub.expiryTimer);
    this.hub.index.remove(sub);
    if (sub.subscriptions.length > 0) this.hub.announce(sub, false);
  }

  /** Indexes the subscriber (429 when its templates pass a limit) until its connection closes. */
  private register(sub: Subscriber): void {
    this.hub.index.add(sub);
    sub.res.once('close', () => this.remove(sub));
  }

  private scheduleExpiry(sub: Subscriber, exp: number): void {
    const delay = exp * 1000 - Date.now();
    if (delay <= 0) {
      this.end(sub);
      return;
    }
    // setTimeout caps at about 24.8 days; check again then.
    sub.expiryTimer = setTimeout(() => {
      sub.expiryTimer = undefined;
      if (exp * 1000 - Date.now() > 0) this.scheduleExpiry(sub, exp);
      else this.end(sub);
    }, Math.min(delay, 2_147_483_647));
    sub.expiryTimer.unref();
  }

  /** Ends the stream (its token expired); nothing more is written to it. */
  private end(sub: Subscriber): void {
    sub.stream = null;
    sub.res.end();
  }
}
