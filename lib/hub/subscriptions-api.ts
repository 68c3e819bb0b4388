import type { IncomingMessage, ServerResponse } from 'http';
import type { HubAuthorization } from './authorization';
import type { MercureHubLogger } from './hub-logger';
import type { ProtocolVersion } from './hub-protocol';
import type { HubTransport, SubscriptionInfo } from './hub-transport';
import { generateUpdateId, HubUpdate } from './hub-update';
import { HttpError, headerSafe, messageOf } from './http-util';
import { describeSelector } from './selector-kind';
import type { Subscriber } from './subscriber';

const JSON_LD_CONTEXT = 'https://mercure.rocks/';
/** The SSE event of 1.0 subscription events (publishers may not use it). */
const SUBSCRIPTION_EVENT = 'mercure';
const MATCH_TYPES = new Set(['exact', 'urlpattern', 'uritemplate']);

/** RFC 6570 simple-string expansion of one value: everything but unreserved characters is encoded. */
export function encodeTemplateValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Active subscriptions: subscription events published privately when a subscriber comes and goes,
 * and the API. Each in the subscriber's (or the request's) version: 0.x, JSON-LD at
 * `{path}/subscriptions[/{topic}[/{subscriber}]]`; 1.0, plain JSON at
 * `{path}/subscriptions[/{match_type}[/{match}[/{subscriber}]]]`, events with SSE `event: mercure`.
 */
export class SubscriptionsApi {
  private readonly local = new Map<string, SubscriptionInfo>();

  constructor(
    readonly path: string,
    private readonly transport: HubTransport,
    private readonly authorization: HubAuthorization,
    private readonly logger: MercureHubLogger,
    private readonly isClosed: () => boolean,
    private readonly versions: ReadonlySet<ProtocolVersion>,
    /** Base of 1.0 subscription topics: absolute (the hub's audience), so URL patterns can select them. */
    private readonly base10: string = path,
  ) {}

  /** Whether a request path is the API's. */
  owns(path: string): boolean {
    return path === this.path || path.startsWith(this.path + '/');
  }

  announce(sub: Subscriber, active: boolean): void {
    if (active) {
      sub.subscriptions = sub.selectors.map((selector) => {
        const { type, match: topic } = describeSelector(selector);
        const v1 = sub.version === '1.0';
        const id = v1
          ? `${this.base10}/${type}/${encodeTemplateValue(topic)}/${encodeTemplateValue(sub.id)}`
          : `${this.path}/${encodeTemplateValue(topic)}/${encodeTemplateValue(sub.id)}`;
        const info: SubscriptionInfo = {
          id,
          topic,
          ...(v1 && { matchType: type }),
          subscriber: sub.id,
          ...(sub.payload !== undefined && { payload: sub.payload }),
        };
        this.local.set(id, info);
        return info;
      });
    } else {
      for (const info of sub.subscriptions) this.local.delete(info.id);
    }
    const subscriptions = sub.subscriptions;
    const registry = active ? this.transport.addSubscriptions : this.transport.removeSubscriptions;
    if (registry) {
      registry.call(this.transport, subscriptions).catch((error: unknown) => {
        this.logger.warn(`Could not update the subscription registry: ${messageOf(error)}`);
      });
    }
    if (this.isClosed()) return;
    for (const info of subscriptions) {
      const update: HubUpdate = info.matchType
        ? {
            id: generateUpdateId(),
            topics: [info.id],
            data: JSON.stringify(subscriptionDocument(info, active, true)),
            private: true,
            type: SUBSCRIPTION_EVENT,
          }
        : {
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

  async serve(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
    const rest = path.slice(this.path.length + 1);
    const segments = rest === '' ? [] : rest.split('/');
    const version: ProtocolVersion =
      this.versions.has('1.0') && (!this.versions.has('0.x') || MATCH_TYPES.has(segments[0])) ? '1.0' : '0.x';
    const topic10 = this.base10 + path.slice(this.path.length);
    await this.authorization.subscriptionsReader(req, new URLSearchParams(rawQuery), version === '1.0' ? topic10 : path, version);
    if (version === '1.0') return this.serve10(res, topic10, segments);
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
      : [...this.local.values()];
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
    this.send(res, body, lastEventID, 'application/ld+json');
  }

  /** `/subscriptions[/{match_type}[/{match}[/{subscriber}]]]`, plain JSON. */
  private async serve10(res: ServerResponse, path: string, segments: string[]): Promise<void> {
    if (segments.length > 3 || segments.some((s) => s === '')) throw new HttpError(404, 'Not Found');
    let decoded: string[];
    try {
      decoded = segments.map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpError(400, 'Invalid percent-encoding in the path');
    }
    const [matchType, match, subscriber] = decoded;
    if (matchType !== undefined && !MATCH_TYPES.has(matchType)) throw new HttpError(404, 'Not Found');
    const lastEventID = this.transport.lastEventId();
    const all = (this.transport.listSubscriptions ? await this.transport.listSubscriptions() : [...this.local.values()])
      .filter((s) => s.matchType !== undefined);
    const selected = all.filter(
      (s) =>
        (matchType === undefined || s.matchType === matchType) &&
        (match === undefined || s.topic === match) &&
        (subscriber === undefined || s.subscriber === subscriber),
    );
    let body: Record<string, unknown>;
    if (subscriber !== undefined) {
      if (selected.length === 0) throw new HttpError(404, 'Not Found');
      body = { ...subscriptionDocument(selected[0], true, true), lastEventID };
    } else {
      body = { id: path, type: 'Subscriptions', lastEventID, subscriptions: selected.map((s) => subscriptionDocument(s, true, true)) };
    }
    this.send(res, body, lastEventID, 'application/json');
  }

  private send(res: ServerResponse, body: Record<string, unknown>, lastEventID: string, contentType: string): void {
    const json = JSON.stringify(body);
    res.writeHead(200, {
      'Content-Type': contentType,
      'Content-Length': String(Buffer.byteLength(json)),
      'Cache-Control': 'must-revalidate',
      ETag: JSON.stringify(headerSafe(lastEventID)),
    });
    res.end(json);
  }
}

/** A subscription as the API shows it: 0.x names its selector `topic`, 1.0 `match` with its `match_type`. */
function subscriptionDocument(info: SubscriptionInfo, active: boolean, v10 = false): Record<string, unknown> {
  return {
    id: info.id,
    type: 'Subscription',
    ...(v10 ? { match_type: info.matchType, match: info.topic } : { topic: info.topic }),
    subscriber: info.subscriber,
    active,
    ...(info.payload !== undefined && { payload: info.payload }),
  };
}
