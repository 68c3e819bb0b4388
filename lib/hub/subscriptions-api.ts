import type { IncomingMessage, ServerResponse } from 'http';
import type { HubAuthorization } from './authorization';
import type { MercureHubLogger } from './hub-logger';
import type { HubTransport, SubscriptionInfo } from './hub-transport';
import { generateUpdateId, HubUpdate } from './hub-update';
import { HttpError, headerSafe, messageOf } from './http-util';
import type { Subscriber } from './subscriber';

const JSON_LD_CONTEXT = 'https://mercure.rocks/';

/** RFC 6570 simple-string expansion of one value: everything but unreserved characters is encoded. */
export function encodeTemplateValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * Active subscriptions (protocol 0.x): subscription events published privately when a subscriber
 * comes and goes, and the JSON-LD API at `{path}/subscriptions[/{topic}[/{subscriber}]]`.
 */
export class SubscriptionsApi {
  private readonly local = new Map<string, SubscriptionInfo>();

  constructor(
    readonly path: string,
    private readonly transport: HubTransport,
    private readonly authorization: HubAuthorization,
    private readonly logger: MercureHubLogger,
    private readonly isClosed: () => boolean,
  ) {}

  /** Whether a request path is the API's. */
  owns(path: string): boolean {
    return path === this.path || path.startsWith(this.path + '/');
  }

  announce(sub: Subscriber, active: boolean): void {
    if (active) {
      sub.subscriptions = sub.selectors.map((topic) => {
        const id = `${this.path}/${encodeTemplateValue(topic)}/${encodeTemplateValue(sub.id)}`;
        const info: SubscriptionInfo = {
          id,
          topic,
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

  async serve(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
    await this.authorization.subscriptionsReader(req, new URLSearchParams(rawQuery), path);
    const rest = path.slice(this.path.length + 1);
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
    const json = JSON.stringify(body);
    res.writeHead(200, {
      'Content-Type': 'application/ld+json',
      'Content-Length': String(Buffer.byteLength(json)),
      'Cache-Control': 'must-revalidate',
      ETag: JSON.stringify(headerSafe(lastEventID)),
    });
    res.end(json);
  }
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
