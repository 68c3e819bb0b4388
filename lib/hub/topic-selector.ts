import { LruMap } from './lru-map';
import { UriTemplateMatcher } from './uri-template';
import { isUrlPatternSelector, literalOf, needsMatching } from './selector-kind';
import { UrlPatternMatcher } from './url-pattern';

/** What `matches` needs of a compiled URI template or URL pattern. */
interface Matcher {
  readonly size: number;
  matches(topic: string): boolean;
}

interface Compiled {
  /** Never reused: match results are cached under it. */
  readonly id: number;
  /** Null when the selector is not a valid (or is too complex a) template. */
  readonly matcher: Matcher | null;
}

interface Retained extends Compiled {
  refs: number;
}

/** Topics longer than this are matched without caching the result (keys stay small). */
const MAX_CACHED_TOPIC_LENGTH = 1024;
/**
 * Matches cheaper than this (NFA states x topic length) are not cached: building the key and
 * updating the cache would cost more than matching again.
 */
const MIN_CACHED_COST = 8192;

/**
 * Mercure topic selectors: `*` matches every topic; a selector equal to the topic
 * matches it (this also lets a URI template match itself, e.g. for the subscriptions API); a
 * selector that is a valid RFC 6570 URI template matches the topics it can expand to; a 1.0 URL
 * pattern (see `selector-kind`) matches what the WHATWG algorithm says it does.
 *
 * Templates subscribers use are retained (reference-counted) while someone subscribes with them
 * and released with the last one; other templates (those of tokens) sit in a small LRU. Results of
 * costly matches (long templates) are cached per (template, topic) in an LRU, which keeps the hot
 * pairs under churn.
 */
export class TopicSelectorStore {
  private readonly retained = new Map<string, Retained>();
  private readonly transient: LruMap<string, Compiled>;
  private readonly results: LruMap<string, boolean>;
  private retainedStates = 0;
  private lastId = 0;

  constructor(transientTemplates = 1_000, cachedResults = 10_000) {
    this.transient = new LruMap(transientTemplates);
    this.results = new LruMap(cachedResults);
  }

  /** True when the selector is a template (contains an expression), as opposed to a literal. */
  static isTemplate(selector: string): boolean {
    return needsMatching(selector);
  }

  /** What the store holds, for diagnostics and tests. */
  get stats(): { retainedTemplates: number; retainedStates: number; transientTemplates: number; cachedResults: number } {
    return {
      retainedTemplates: this.retained.size,
      retainedStates: this.retainedStates,
      transientTemplates: this.transient.size,
      cachedResults: this.results.size,
    };
  }

  /**
   * Keeps a template compiled until `release`; returns its cost in NFA states, or undefined when
   * it is not a valid template (it then matches only itself, like a literal).
   */
  retain(selector: string): number | undefined {
    let entry = this.retained.get(selector);
    if (!entry) {
      const compiled = this.transient.get(selector) ?? this.compile(selector);
      this.transient.delete(selector);
      entry = { ...compiled, refs: 0 };
      this.retained.set(selector, entry);
      this.retainedStates += entry.matcher?.size ?? 0;
    }
    entry.refs++;
    return entry.matcher?.size;
  }

  release(selector: string): void {
    const entry = this.retained.get(selector);
    if (!entry || --entry.refs > 0) return;
    this.retained.delete(selector);
    this.retainedStates -= entry.matcher?.size ?? 0;
  }

  matches(selector: string, topic: string): boolean {
    if (selector === '*' || selector === topic) return true;
    if (!needsMatching(selector)) return literalOf(selector) === topic;
    const compiled = this.lookup(selector);
    if (!compiled.matcher) return false;
    const matcher = compiled.matcher;
    if (topic.length > MAX_CACHED_TOPIC_LENGTH || matcher.size * topic.length < MIN_CACHED_COST) {
      return matcher.matches(topic);
    }
    const key = `${compiled.id} ${topic}`;
    let result = this.results.get(key);
    if (result === undefined) {
      result = matcher.matches(topic);
      this.results.set(key, result);
    }
    return result;
  }

  /** True when one of the selectors matches one of the topics. */
  matchesAny(selectors: readonly string[], topics: readonly string[]): boolean {
    for (const selector of selectors) {
      for (const topic of topics) {
        if (this.matches(selector, topic)) return true;
      }
    }
    return false;
  }

  /** The first topic no selector matches, or undefined when every one is matched. */
  firstUnmatched(selectors: readonly string[], topics: readonly string[]): string | undefined {
    outer: for (const topic of topics) {
      for (const selector of selectors) {
        if (this.matches(selector, topic)) continue outer;
      }
      return topic;
    }
    return undefined;
  }

  /** True when every topic is matched by at least one selector. */
  matchesAll(selectors: readonly string[], topics: readonly string[]): boolean {
    return this.firstUnmatched(selectors, topics) === undefined;
  }

  private lookup(selector: string): Compiled {
    const retained = this.retained.get(selector);
    if (retained) return retained;
    let compiled = this.transient.get(selector);
    if (!compiled) {
      compiled = this.compile(selector);
      this.transient.set(selector, compiled);
    }
    return compiled;
  }

  private compile(selector: string): Compiled {
    if (isUrlPatternSelector(selector)) {
      const compiled = UrlPatternMatcher.compile(selector.slice(2));
      return { id: ++this.lastId, matcher: typeof compiled === 'string' ? null : compiled };
    }
    return { id: ++this.lastId, matcher: UriTemplateMatcher.compile(selector) ?? null };
  }
}
