/**
 * A bounded LRU of hot entries. Entries that are `pinned` (a change not yet committed) are never
 * evicted; `onEvict` frees the evicted entry's wasm memory.
 */
export class DocCache<E extends { pinned: number }> {
  private readonly entries = new Map<string, E>();
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(
    private readonly capacity: number,
    private readonly onEvict: (entry: E) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): E | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: E): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Never the entry just inserted: the caller is about to use it (evicting it would free its doc).
    this.evictOverflow(key);
  }

  delete(key: string): E | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.entries.delete(key);
    return entry;
  }

  /** Evicts least recently used unpinned entries while over capacity. */
  evictOverflow(keep?: string): void {
    if (this.entries.size <= this.capacity) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (entry.pinned > 0 || key === keep) continue;
      this.entries.delete(key);
      this.evictions++;
      this.onEvict(entry);
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) this.onEvict(entry);
    this.entries.clear();
  }
}
