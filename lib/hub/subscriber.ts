import type { ServerResponse } from 'http';
import type { ProtocolVersion } from './hub-protocol';
import type { HubUpdate } from './hub-update';
import type { SubscriptionInfo } from './hub-transport';
import type { SubscriberStream } from './subscriber-stream';

/** One SSE connection. Kept small: a hub holds tens of thousands of them. */
export class Subscriber {
  /** Dispatch round of the last update this subscriber was offered (dedups multi-selector matches). */
  epoch = 0;
  /** Live updates received while the history is being replayed; null once live. */
  pending: HubUpdate[] | null = null;
  /** Extra send-buffer bytes tolerated until the replayed history has drained. */
  allowance = 0;
  /** Set once the stream started (headers and opening comment sent); null again once it ends. */
  stream: SubscriberStream | null = null;
  /** The last write was buffered: until 'drain', each write checks the send-buffer limit. */
  backlogged = false;
  /** Heartbeat tick of the last write. */
  lastTick = 0;
  expiryTimer?: NodeJS.Timeout;
  closed = false;
  subscriptions: SubscriptionInfo[] = [];

  constructor(
    /** `urn:uuid:` identifier, as in subscription events. */
    readonly id: string,
    /** Topic selectors of the `topic` (0.x) or `match*` (1.0) query parameters. */
    readonly selectors: readonly string[],
    readonly res: ServerResponse,
    /** Selectors of `mercure.subscribe`; undefined for anonymous subscribers. */
    readonly allowed: readonly string[] | undefined,
    /** Key shared by subscribers with the same `mercure.subscribe` (caches private checks per update). */
    readonly authKey: string | undefined,
    readonly payload: unknown,
    /** The version the subscription request was written in (shapes its subscription events). */
    readonly version: ProtocolVersion = '0.x',
  ) {}
}
