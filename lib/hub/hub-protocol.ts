import type { IncomingMessage } from 'http';

/** The Mercure protocol versions the hub speaks: 0.x (draft-07) and 1.0 (draft-08). */
export type ProtocolVersion = '0.x' | '1.0';

/** What a subscription request asks for, whatever the protocol version spells it. */
export interface SubscriptionRequest {
  /** The version the request is written in (decides the response header, errors, events). */
  readonly version: ProtocolVersion;
  /** Topic selectors (see `selector-kind`: exact topics, `*`, URI templates, URL patterns). */
  readonly selectors: readonly string[];
  /** Where to resume from (`earliest`: the whole history); undefined for live updates only. */
  readonly lastEventId?: string;
}

/** What a verified token allows. */
export interface HubGrants {
  /** Selectors of the topics the bearer may publish to. */
  publish?: readonly string[];
  /** Selectors of the private topics the bearer may receive. */
  subscribe?: readonly string[];
  /** Attached to the bearer's subscriptions. */
  payload?: unknown;
  /** `exp`, in seconds since the epoch. */
  exp?: number;
}

/**
 * The version-specific parts of the hub: how a request is read and what a token grants. The rest
 * of the hub (publish, fan-out, history, CORS, the transports) is the same for every version.
 */
export interface HubProtocol {
  readonly version: ProtocolVersion;
  /** Whether a subscription request is written in this version (by its parameter names). */
  recognizes(query: URLSearchParams): boolean;
  /** Reads the selectors and the resume point; throws an `HttpError` (400) when malformed. */
  readSubscription(req: IncomingMessage, query: URLSearchParams): SubscriptionRequest;
  /** The query parameter that may carry a token (none: tokens only in the header or the cookie). */
  readonly tokenQueryParameter?: string;
  /** The response header that tells a subscriber where its stream starts. */
  readonly lastEventIdHeader: string;
  /** What a verified JWT payload grants; throws a `TokenError` when the claims are malformed. */
  grants(payload: Record<string, unknown>): HubGrants;
}
