import type { IncomingMessage } from 'http';
import { HttpError, headerValue } from './http-util';
import type { HubGrants, HubProtocol, SubscriptionRequest } from './hub-protocol';

/** Most `topic` parameters in one subscription request. */
export const MAX_SELECTORS_PER_SUBSCRIPTION = 1000;
/** Longest topic selector a subscriber may send. */
export const MAX_SELECTOR_LENGTH = 1024;

/** Mercure protocol 0.x (draft-dunglas-mercure-07): `topic=` selectors, the `mercure` claim. */
export const PROTOCOL_0X: HubProtocol = {
  version: '0.x',
  tokenQueryParameter: 'authorization',
  lastEventIdHeader: 'Last-Event-ID',

  recognizes(query: URLSearchParams): boolean {
    return query.has('topic');
  },

  readSubscription(req: IncomingMessage, query: URLSearchParams): SubscriptionRequest {
    const selectors = query.getAll('topic');
    if (selectors.length === 0) throw new HttpError(400, 'Missing "topic" parameter');
    checkSelectorCount(selectors.length, '"topic" parameters');
    for (const selector of selectors) checkSelector(selector, '"topic"');
    // The header wins over the query parameter; `Last-Event-ID` as a query parameter is the name
    // older clients use.
    const lastEventId =
      headerValue(req.headers['last-event-id']) ?? query.get('lastEventID') ?? query.get('Last-Event-ID') ?? undefined;
    return { version: '0.x', selectors: [...new Set(selectors)], lastEventId };
  },

  grants: grants0x,
};

/** `mercure: { publish, subscribe, payload }`; a field of the wrong shape grants nothing. */
export function grants0x(payload: Record<string, unknown>): HubGrants {
  const grants: HubGrants = {};
  if (typeof payload.exp === 'number') grants.exp = payload.exp;
  const mercure = payload.mercure;
  if (mercure && typeof mercure === 'object' && !Array.isArray(mercure)) {
    const m = mercure as Record<string, unknown>;
    if (isStringArray(m.publish)) grants.publish = m.publish.filter(isDraftSelector);
    if (isStringArray(m.subscribe)) grants.subscribe = m.subscribe.filter(isDraftSelector);
    if (m.payload !== undefined) grants.payload = m.payload;
  }
  return grants;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** NUL starts the hub's typed 1.0 selectors (`selector-kind`): never a 0.x one. */
function isDraftSelector(selector: string): boolean {
  return !selector.includes('\0');
}

export function checkSelectorCount(count: number, what: string): void {
  if (count > MAX_SELECTORS_PER_SUBSCRIPTION) {
    throw new HttpError(400, `Too many ${what}: at most ${MAX_SELECTORS_PER_SUBSCRIPTION}`);
  }
}

export function checkSelector(selector: string, parameter: string): void {
  if (selector === '' || selector.length > MAX_SELECTOR_LENGTH || selector.includes('\0')) {
    throw new HttpError(400, `Invalid ${parameter} parameter: 1 to ${MAX_SELECTOR_LENGTH} characters, no NUL`);
  }
}
