import { HttpError } from './http-util';
import { urlKeyOf } from './url-pattern';
import type { Subscriber } from './subscriber';
import { PrefixBuckets } from './prefix-buckets';
import { isUrlPatternSelector, literalOf, literalPrefix, literalSuffix } from './selector-kind';
import { TopicSelectorStore } from './topic-selector';

/** Compiled NFA states all subscribed templates may take together (about 13 bytes each). */
export const TEMPLATE_STATE_BUDGET = 4_000_000;

/**
 * The local subscribers, indexed by what they select, so that a publish costs a lookup per topic
 * rather than a match per subscriber:
 * - exact topics (and invalid templates, which only match themselves): one map lookup;
 * - `*`: a set;
 * - templates: grouped by their literal prefix (the text before the first `{`); a topic is only
 *   matched against the templates whose prefix it starts with (one lookup per distinct prefix
 *   length) and whose literal suffix it ends with.
 * Distinct templates are bounded (`maxTemplates`, and a budget of compiled states), and each is
 * compiled while it has subscribers only.
 */
export class SubscriberIndex {
  readonly all = new Set<Subscriber>();
  private readonly exact = new Map<string, Set<Subscriber>>();
  private readonly wildcard = new Set<Subscriber>();
  private readonly templates = new Map<string, Set<Subscriber>>();
  /** URI templates by the literal text before their first `{` (and after their last `}`). */
  private readonly templateBuckets = new PrefixBuckets();
  /** URL patterns by the literal start of the URLs they match, compared with a topic's URL key. */
  private readonly patternBuckets = new PrefixBuckets();

  /** Distinct URL patterns subscribed (each is tried on every topic sharing its URL prefix). */
  private patternCount = 0;

  constructor(
    private readonly selectors: TopicSelectorStore,
    private readonly maxTemplates: number,
    private readonly maxUrlPatterns: number,
  ) {}

  /** Distinct templates subscribed on this instance. */
  get templateCount(): number {
    return this.templates.size;
  }

  /** Adds a subscriber; throws 429 (and adds nothing) when its new templates pass a limit. */
  add(sub: Subscriber): void {
    const fresh = sub.selectors.filter(
      (selector) => selector !== '*' && TopicSelectorStore.isTemplate(selector) && !this.templates.has(selector),
    );
    // Counted before compiling anything: a hub at its limit spends nothing on more templates.
    if (this.templates.size + fresh.length > this.maxTemplates) {
      throw new HttpError(
        429,
        `The hub follows too many distinct URI templates (maxTemplates: ${this.maxTemplates}); subscribe to exact topics or to templates already in use`,
      );
    }
    const freshPatterns = fresh.filter(isUrlPatternSelector).length;
    if (freshPatterns > 0 && this.patternCount + freshPatterns > this.maxUrlPatterns) {
      throw new HttpError(
        429,
        `The hub follows too many distinct URL patterns (maxUrlPatterns: ${this.maxUrlPatterns}); subscribe to exact topics or to patterns already in use`,
      );
    }
    // Compile (retain once for the index) the templates nobody subscribed with yet.
    const added = new Set<string>();
    for (const selector of fresh) {
      if (this.selectors.retain(selector) === undefined) this.selectors.release(selector); // invalid: a literal
      else added.add(selector);
    }
    if (added.size > 0 && this.selectors.stats.retainedStates > TEMPLATE_STATE_BUDGET) {
      for (const selector of added) this.selectors.release(selector);
      throw new HttpError(429, 'The hub follows too many large URI templates; subscribe to smaller templates');
    }
    this.all.add(sub);
    for (const selector of sub.selectors) {
      if (selector === '*') this.wildcard.add(sub);
      else if (added.has(selector) || this.templates.has(selector)) this.addTemplate(selector, sub);
      else addTo(this.exact, literalOf(selector), sub);
    }
  }

  remove(sub: Subscriber): void {
    if (!this.all.delete(sub)) return;
    for (const selector of sub.selectors) {
      if (selector === '*') this.wildcard.delete(sub);
      else if (this.templates.has(selector)) this.removeTemplate(selector, sub);
      else removeFrom(this.exact, literalOf(selector), sub);
    }
  }

  /** Calls `visit` with every subscriber one of whose selectors matches one of the topics (maybe twice). */
  forEachMatch(topics: readonly string[], visit: (sub: Subscriber) => void): void {
    for (const sub of this.wildcard) visit(sub);
    for (const topic of topics) {
      const set = this.exact.get(topic);
      if (set) for (const sub of set) visit(sub);
      if (this.templates.size === 0) continue;
      const visitTemplate = (template: string) => {
        if (!this.selectors.matches(template, topic)) return;
        for (const sub of this.templates.get(template)!) visit(sub);
      };
      this.templateBuckets.forEachCandidate(topic, visitTemplate);
      if (!this.patternBuckets.isEmpty) this.patternBuckets.forEachCandidate(urlKeyOf(topic), visitTemplate);
    }
  }

  private addTemplate(selector: string, sub: Subscriber): void {
    let set = this.templates.get(selector);
    if (!set) {
      this.templates.set(selector, (set = new Set()));
      if (isUrlPatternSelector(selector)) this.patternCount++;
      this.bucketsOf(selector).add(selector, literalPrefix(selector), literalSuffix(selector));
    }
    set.add(sub);
  }

  private removeTemplate(selector: string, sub: Subscriber): void {
    const set = this.templates.get(selector)!;
    set.delete(sub);
    if (set.size > 0) return;
    this.templates.delete(selector);
    this.selectors.release(selector);
    if (isUrlPatternSelector(selector)) this.patternCount--;
    this.bucketsOf(selector).remove(selector, literalPrefix(selector));
  }

  private bucketsOf(selector: string): PrefixBuckets {
    return isUrlPatternSelector(selector) ? this.patternBuckets : this.templateBuckets;
  }
}

function addTo(index: Map<string, Set<Subscriber>>, key: string, sub: Subscriber): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(sub);
}

function removeFrom(index: Map<string, Set<Subscriber>>, key: string, sub: Subscriber): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(sub);
  if (set.size === 0) index.delete(key);
}
