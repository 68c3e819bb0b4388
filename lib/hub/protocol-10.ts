import type { IncomingMessage } from 'http';
import { MERCURE_AUTHORIZATION_DETAIL } from '../jwt/access-token';
import { HttpError, headerValue } from './http-util';
import type { HubGrants, HubProtocol, SubscriptionRequest } from './hub-protocol';
import { TokenError } from './jwt';
import { checkSelector, checkSelectorCount } from './protocol-0x';
import { exactSelector, urlPatternSelector } from './selector-kind';
import { UrlPatternMatcher } from './url-pattern';

/** Most URL patterns in one subscription request (each is compiled). */
export const MAX_URL_PATTERNS_PER_SUBSCRIPTION = 100;

const MATCH_PARAMETERS = new Set(['match', 'match_exact', 'match_urlpattern']);

/**
 * Mercure protocol 1.0 (draft-dunglas-mercure-08): `match` / `match_exact` / `match_urlpattern`
 * selectors, `last_event_id`, `Mercure-Last-Event-ID`, RFC 9068 access tokens whose grants are
 * `authorization_details`. Tokens never travel in the URL.
 */
export const PROTOCOL_10: HubProtocol = {
  version: '1.0',
  lastEventIdHeader: 'Mercure-Last-Event-ID',

  recognizes(query: URLSearchParams): boolean {
    for (const name of query.keys()) if (name.startsWith('match')) return true;
    return false;
  },

  readSubscription(req: IncomingMessage, query: URLSearchParams): SubscriptionRequest {
    const selectors: string[] = [];
    let patterns = 0;
    for (const [name, value] of query) {
      if (!name.startsWith('match')) continue;
      if (!MATCH_PARAMETERS.has(name)) throw new HttpError(400, `Unknown parameter "${name.slice(0, 64)}"`);
      checkSelectorCount(selectors.length + 1, '"match" parameters');
      checkSelector(value, `"${name}"`);
      if (name === 'match_urlpattern') {
        if (++patterns > MAX_URL_PATTERNS_PER_SUBSCRIPTION) {
          throw new HttpError(400, `Too many URL patterns: at most ${MAX_URL_PATTERNS_PER_SUBSCRIPTION}`);
        }
        const compiled = UrlPatternMatcher.compile(value);
        if (typeof compiled === 'string') throw new HttpError(400, `Invalid "match_urlpattern" parameter: ${compiled}`);
        selectors.push(urlPatternSelector(value));
      } else {
        selectors.push(name === 'match' && value === '*' ? '*' : exactSelector(value));
      }
    }
    if (selectors.length === 0) throw new HttpError(400, 'Missing "match" parameter');
    // The header (sent by EventSource on reconnection) wins over the query parameter.
    const lastEventId = headerValue(req.headers['last-event-id']) ?? query.get('last_event_id') ?? undefined;
    return { version: '1.0', selectors: [...new Set(selectors)], lastEventId };
  },

  grants: grants10,
};

/**
 * `authorization_details` entries of the Mercure type: `actions` (`publish`, `subscribe`),
 * `topics` (`{ match, match_type? }`, `exact` by default, or `urlpattern`), `payload`. Entries of
 * other types are for other resource servers and ignored; one malformed Mercure entry refuses the
 * whole token (a token the issuer got wrong should not half work).
 */
export function grants10(payload: Record<string, unknown>): HubGrants {
  const grants: { publish?: string[]; subscribe?: string[]; payload?: unknown; exp?: number } = {};
  if (typeof payload.exp === 'number') grants.exp = payload.exp;
  const details = payload.authorization_details;
  if (details === undefined) return grants;
  if (!Array.isArray(details)) throw new TokenError('"authorization_details" is not an array');
  details.forEach((detail: unknown, i) => {
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
      throw new TokenError(`authorization_details[${i}] is not an object`);
    }
    const entry = detail as Record<string, unknown>;
    if (typeof entry.type !== 'string') throw new TokenError(`authorization_details[${i}].type is not a string`);
    if (entry.type !== MERCURE_AUTHORIZATION_DETAIL) return;
    const actions = entry.actions;
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => a === 'publish' || a === 'subscribe')) {
      throw new TokenError(`authorization_details[${i}].actions must list "publish" and/or "subscribe"`);
    }
    const selectors = topicsOf(entry.topics, i);
    for (const action of new Set(actions as ('publish' | 'subscribe')[])) {
      (grants[action] ??= []).push(...selectors);
    }
    if (entry.payload !== undefined && actions.includes('subscribe') && grants.payload === undefined) {
      grants.payload = entry.payload;
    }
  });
  return grants;
}

function topicsOf(topics: unknown, i: number): string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new TokenError(`authorization_details[${i}].topics must be a non-empty array`);
  }
  return topics.map((topic: unknown, j) => {
    const where = `authorization_details[${i}].topics[${j}]`;
    if (!topic || typeof topic !== 'object') throw new TokenError(`${where} is not an object`);
    const { match, match_type: type = 'exact' } = topic as Record<string, unknown>;
    if (typeof match !== 'string' || match === '' || match.includes('\0')) {
      throw new TokenError(`${where}.match is not a non-empty string`);
    }
    if (type === 'exact') return match === '*' ? '*' : exactSelector(match);
    if (type === 'urlpattern') {
      if (typeof UrlPatternMatcher.compile(match) === 'string') throw new TokenError(`${where}.match is not an accepted URL pattern`);
      return urlPatternSelector(match);
    }
    throw new TokenError(`${where}.match_type must be "exact" or "urlpattern"`);
  });
}
