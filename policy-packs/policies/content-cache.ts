/**
 * Documents parsed once per distinct content. Several policies read the same large documents
 * (the four Envoy policies and the conformance check each read every mesh Envoy config, in
 * Analyze and again in AnalyzeStack, within one pack process), and the policy host hands each
 * policy its own copy of a resource, so a cache keyed by object identity would never hit: the
 * key is the document's text itself. Bounded by the total length of the cached texts; the least
 * recently used entries go first.
 */
export class ContentCache<T> {
  private readonly entries = new Map<string, T>();
  private chars = 0;

  /** @param maxChars the most text (summed key lengths) kept; a longer key is computed but never cached. */
  constructor(readonly maxChars: number) {}

  /** The value for `key` (a document's text): `compute()` once per distinct key while it stays cached. Treat the value as read-only. */
  get(key: string, compute: () => T): T {
    if (this.entries.has(key)) {
      const hit = this.entries.get(key) as T;
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = compute();
    if (key.length > this.maxChars) return value;
    for (const [oldest] of this.entries) {
      if (this.chars + key.length <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
    this.entries.set(key, value);
    this.chars += key.length;
    return value;
  }

  /** Entries cached now. */
  get size(): number {
    return this.entries.size;
  }

  /** Summed length of the cached keys. */
  get cachedChars(): number {
    return this.chars;
  }
}
