import type { HubUpdate } from './hub-update';

/** Called for every update, from every publisher (of every instance sharing the transport), in order. */
export type HubTransportListener = (update: HubUpdate) => void;

/** Updates to replay to a subscriber that reconnects. */
export interface HubHistory {
  /** The kept updates after the requested one, oldest first, up to the cursor given. */
  readonly updates: readonly HubUpdate[];
  /**
   * The id of the update preceding the first one returned: the requested id when it was found,
   * `earliest` when everything kept is returned or the requested id is unknown.
   */
  readonly precedingId: string;
}

/** One active subscription, as the subscriptions API and subscription events show it. */
export interface SubscriptionInfo {
  /** `{path}/subscriptions/{topic}/{subscriber}` (1.0: `.../{match_type}/{match}/{subscriber}`), percent-encoded as RFC 6570 expands it. */
  readonly id: string;
  /** The selector (a 1.0 subscription's `match`). */
  readonly topic: string;
  /** 1.0 subscriptions: `exact` or `urlpattern` (absent on 0.x ones). */
  readonly matchType?: string;
  readonly subscriber: string;
  readonly payload?: unknown;
}

/**
 * Carries updates between publishers and subscribers, and keeps the history.
 *
 * The contract the hub relies on for gap-free replay: `cursor()` is the position of the last
 * update handed to the listener, read synchronously; `history(id, cursor)` returns the kept updates
 * after `id` up to and including that position. A subscriber registered (and buffering live
 * updates) when the cursor was read therefore gets every update once: those up to the cursor from
 * the history, those after it live.
 */
export interface HubTransport {
  /** Starts delivering updates to `listener`; resolves when ready. Called once. */
  start(listener: HubTransportListener): Promise<void>;
  /**
   * Stores the update in the history and delivers it (to this instance and every other). May
   * resolve `false` when the transport knows the id already (a repeated publish): nothing delivered.
   */
  dispatch(update: HubUpdate): Promise<void | false>;
  /** Position of the last update delivered to the listener. */
  cursor(): string;
  /** Id of the last update delivered to the listener, or `earliest` when there is none yet. */
  lastEventId(): string;
  /** Kept updates after `lastEventId` (`earliest`: all kept), up to `until` (a `cursor()` value). */
  history(lastEventId: string, until: string): Promise<HubHistory>;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;

  /**
   * Resolves once every update stored before the call has been delivered to the listener. The hub
   * calls it before a replay, so that an id the subscriber got from any instance is within reach
   * of the cursor. Transports that deliver synchronously need not implement it.
   */
  catchUp?(): Promise<void>;

  /**
   * Optional registry of the active subscriptions of every instance; without it, the
   * subscriptions API lists the subscriptions of this instance.
   */
  addSubscriptions?(subscriptions: readonly SubscriptionInfo[]): Promise<void>;
  removeSubscriptions?(subscriptions: readonly SubscriptionInfo[]): Promise<void>;
  listSubscriptions?(): Promise<SubscriptionInfo[]>;
}

/** The reserved value of `Last-Event-ID` that asks for the whole history. */
export const EARLIEST = 'earliest';
