import { describe, expect, it } from "vitest";
import { DocCache } from "../../broker/shadow/doc-cache.ts";

interface Item {
  id: string;
  pinned: number;
}

function cacheOf(capacity: number) {
  const evicted: string[] = [];
  const cache = new DocCache<Item>(capacity, (e) => evicted.push(e.id));
  const put = (id: string, pinned = 0): Item => {
    const item = { id, pinned };
    cache.set(id, item);
    return item;
  };
  return { cache, evicted, put };
}

describe("DocCache", () => {
  it("evicts the least recently used entry and calls onEvict with it", () => {
    const { cache, evicted, put } = cacheOf(3);
    put("a");
    put("b");
    put("c");
    expect(cache.get("a")?.id).toBe("a"); // a is now the most recently used
    put("d");
    expect(evicted).toEqual(["b"]);
    expect(cache.size).toBe(3);
    expect(cache.get("b")).toBeUndefined();
    put("e");
    expect(evicted).toEqual(["b", "c"]);
    expect(cache.evictions).toBe(2);
  });

  it("counts hits and misses", () => {
    const { cache, put } = cacheOf(2);
    put("a");
    cache.get("a");
    cache.get("a");
    cache.get("zz");
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 1 });
  });

  it("re-setting a key refreshes it instead of duplicating it", () => {
    const { cache, evicted, put } = cacheOf(2);
    put("a");
    put("b");
    put("a");
    put("c");
    expect(evicted).toEqual(["b"]);
    expect(cache.size).toBe(2);
  });

  it("skips pinned entries and evicts the next unpinned one", () => {
    const { cache, evicted, put } = cacheOf(2);
    const a = put("a", 1);
    put("b");
    put("c");
    expect(evicted).toEqual(["b"]);
    expect(cache.get("a")).toBe(a);
    expect(cache.size).toBe(2);
  });

  it("goes over capacity while everything is pinned and shrinks once unpinned", () => {
    const { cache, evicted, put } = cacheOf(2);
    const items = [put("a", 1), put("b", 1), put("c", 1), put("d", 1)];
    expect(evicted).toEqual([]);
    expect(cache.size).toBe(4);
    for (const item of items) item.pinned = 0;
    cache.evictOverflow();
    expect(evicted).toEqual(["a", "b"]);
    expect(cache.size).toBe(2);
  });

  it("never evicts the entry it is inserting, even when all older entries are pinned", () => {
    // The store hands the entry it just set to its caller; freeing it there would hand out a freed doc.
    const { cache, evicted, put } = cacheOf(1);
    put("a", 1);
    const b = put("b");
    expect(evicted).toEqual([]);
    expect(cache.get("b")).toBe(b);
  });

  it("delete removes without calling onEvict; clear calls onEvict for everything", () => {
    const { cache, evicted, put } = cacheOf(5);
    put("a");
    put("b");
    put("c");
    expect(cache.delete("a")?.id).toBe("a");
    expect(cache.delete("a")).toBeUndefined();
    expect(evicted).toEqual([]);
    cache.clear();
    expect(evicted.sort()).toEqual(["b", "c"]);
    expect(cache.size).toBe(0);
  });
});
