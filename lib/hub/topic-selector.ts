import { UriTemplateMatcher } from './uri-template';

/**
 * Mercure topic selectors (protocol 0.x): `*` matches every topic; a selector equal to the topic
 * matches it (this also lets a URI template match itself, e.g. for the subscriptions API); a
 * selector that is a valid RFC 6570 URI template matches the topics it can expand to.
 *
 * Compiled templates and match results are cached, both bounded: hubs see the same few selectors
 * and topics over and over.
 */
export class TopicSelectorStore {
  private readonly templates = new Map<string, UriTemplateMatcher | null>();
  private readonly results = new Map<string, Map<string, boolean>>();

  constructor(
    private readonly maxSelectors = 10_000,
    private readonly maxTopicsPerSelector = 1_000,
  ) {}

  /** True when the selector is a template (contains an expression), as opposed to a literal. */
  static isTemplate(selector: string): boolean {
    return selector.includes('{');
  }

  matches(selector: string, topic: string): boolean {
    if (selector === '*' || selector === topic) return true;
    if (!selector.includes('{')) return false;
    const matcher = this.matcher(selector);
    if (!matcher) return false;
    let cache = this.results.get(selector);
    if (!cache) {
      if (this.results.size >= this.maxSelectors) this.results.clear();
      cache = new Map();
      this.results.set(selector, cache);
    }
    let result = cache.get(topic);
    if (result === undefined) {
      result = matcher.matches(topic);
      if (cache.size >= this.maxTopicsPerSelector) cache.clear();
      cache.set(topic, result);
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

  /** True when every topic is matched by at least one selector. */
  matchesAll(selectors: readonly string[], topics: readonly string[]): boolean {
    outer: for (const topic of topics) {
      for (const selector of selectors) {
        if (this.matches(selector, topic)) continue outer;
      }
      return false;
    }
    return true;
  }

  private matcher(selector: string): UriTemplateMatcher | null {
    let matcher = this.templates.get(selector);
    if (matcher === undefined) {
      matcher = UriTemplateMatcher.compile(selector) ?? null;
      if (this.templates.size >= this.maxSelectors) this.templates.clear();
      this.templates.set(selector, matcher);
    }
    return matcher;
  }
}
