/**
 * Selectors grouped by a literal prefix every topic they match starts with, each with a literal
 * suffix every such topic ends with: a topic is only tested against the selectors of the prefixes
 * it starts with (one map lookup per distinct prefix length) and whose suffix it ends with.
 */
export class PrefixBuckets {
  /** Literal prefix -> its selectors, each with its literal suffix. */
  private readonly byPrefix = new Map<string, Map<string, string>>();
  /** Distinct prefix length -> number of prefixes of that length. */
  private readonly lengths = new Map<number, number>();

  get isEmpty(): boolean {
    return this.byPrefix.size === 0;
  }

  add(selector: string, prefix: string, suffix: string): void {
    let bucket = this.byPrefix.get(prefix);
    if (!bucket) {
      this.byPrefix.set(prefix, (bucket = new Map()));
      this.lengths.set(prefix.length, (this.lengths.get(prefix.length) ?? 0) + 1);
    }
    bucket.set(selector, suffix);
  }

  remove(selector: string, prefix: string): void {
    const bucket = this.byPrefix.get(prefix);
    if (!bucket) return;
    bucket.delete(selector);
    if (bucket.size > 0) return;
    this.byPrefix.delete(prefix);
    const count = this.lengths.get(prefix.length)! - 1;
    if (count === 0) this.lengths.delete(prefix.length);
    else this.lengths.set(prefix.length, count);
  }

  /** Calls `visit` with each selector whose prefix and suffix fit `key`. */
  forEachCandidate(key: string, visit: (selector: string) => void): void {
    for (const length of this.lengths.keys()) {
      if (length > key.length) continue;
      const bucket = this.byPrefix.get(key.slice(0, length));
      if (!bucket) continue;
      for (const [selector, suffix] of bucket) {
        if (key.endsWith(suffix)) visit(selector);
      }
    }
  }
}
