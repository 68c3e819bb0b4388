/**
 * Selectors are kept as strings everywhere in the hub (index keys, cache keys, grants); a 0.x
 * selector is the string the client sent (`*`, an exact topic or an RFC 6570 template). Protocol
 * 1.0 adds typed selectors, tagged with a NUL prefix that no 0.x selector may carry (the hub
 * refuses NUL in selectors): an exact topic that contains `{` (it must not be read as a template),
 * and a WHATWG URL pattern.
 */
import { urlPatternPrefix } from './url-pattern';

const EXACT = '\0e';
const URL_PATTERN = '\0p';

export type SelectorType = 'exact' | 'urlpattern' | 'uritemplate';

/**
 * The selector for an exact 1.0 topic (kept as is when that is unambiguous; `*` here is the
 * literal topic `*`: callers map the wildcard `match=*` to `*` themselves).
 */
export function exactSelector(topic: string): string {
  return topic === '*' || topic.includes('{') || topic.startsWith('\0') ? EXACT + topic : topic;
}

export function urlPatternSelector(pattern: string): string {
  return URL_PATTERN + pattern;
}

export function isUrlPatternSelector(selector: string): boolean {
  return selector.startsWith(URL_PATTERN);
}

/** What a selector is and what it holds, as the subscriptions API and subscription events show it. */
export function describeSelector(selector: string): { type: SelectorType; match: string } {
  if (selector.startsWith(URL_PATTERN)) return { type: 'urlpattern', match: selector.slice(2) };
  if (selector.startsWith(EXACT)) return { type: 'exact', match: selector.slice(2) };
  return { type: selector !== '*' && selector.includes('{') ? 'uritemplate' : 'exact', match: selector };
}

/** The topic an exact selector matches. */
export function literalOf(selector: string): string {
  return selector.startsWith(EXACT) ? selector.slice(2) : selector;
}

/** True when the selector needs matching (a URI template or a URL pattern), not a lookup. */
export function needsMatching(selector: string): boolean {
  if (selector.startsWith(URL_PATTERN)) return true;
  return !selector.startsWith(EXACT) && selector.includes('{');
}

/**
 * Literal text every topic the selector matches starts with ('' when unknown); for a URL pattern,
 * every topic's `urlKeyOf`.
 */
export function literalPrefix(selector: string): string {
  return selector.startsWith(URL_PATTERN) ? urlPatternPrefix(selector.slice(2)) : selector.slice(0, selector.indexOf('{'));
}

/** Literal text every topic the selector matches ends with ('' when unknown). */
export function literalSuffix(selector: string): string {
  return selector.startsWith(URL_PATTERN) ? '' : selector.slice(selector.lastIndexOf('}') + 1);
}
