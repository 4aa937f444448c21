import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bucketOf, type KeyHeads } from "../../shared/relay/digest.ts";
import { inflateFrame } from "../../shared/relay/frame-inflate.ts";
import { headsPages } from "../../shared/relay/heads-pages.ts";
import { encodeFrame, type HeadsFrame, parseFrame } from "../../shared/relay/protocol.ts";

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const shadows = (n: number, heads = 1): KeyHeads[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `pdu-${i}`,
    heads: Array.from({ length: heads }, (_, h) => hash(`${i}/${h}`)),
  }));

/**
 * What a receiver concludes from heads pages, each handled on its own (broker/relay/handlers/heads.ts):
 * the sender's heads of every key it listed, and the keys of `ours` in a listed bucket it did not list.
 */
function receive(pages: HeadsFrame[], ours: readonly string[]) {
  const heads = new Map<string, string[]>();
  const lacks = new Set<string>();
  for (const page of pages) {
    const listed = new Set(Object.keys(page.heads));
    for (const [k, h] of Object.entries(page.heads)) heads.set(k, h);
    const buckets = new Set(page.buckets);
    for (const k of ours) if (!listed.has(k) && buckets.has(bucketOf(k, page.bucketCount))) lacks.add(k);
  }
  return { heads, lacks };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("heads pages (digest repair in pages)", () => {
  const count = 256;
  const mine = shadows(5000);
  const differing = Array.from({ length: 200 }, (_, i) => i * 1 + (i % 3));
  const diff = [...new Set(differing)];
  const inDiff = (k: string) => diff.includes(bucketOf(k, count));

  it("lists every shadow of the differing buckets exactly once, in pages under the byte bound", async () => {
    const pages = headsPages(mine, count, diff, 8 * 1024);
    expect(pages.length).toBeGreaterThan(10);
    const seen = pages.flatMap((p) => Object.keys(p.heads));
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(mine.filter((s) => inDiff(s.key)).map((s) => s.key)));
    for (const p of pages) {
      const wire = encodeFrame(p);
      const plain = await inflateFrame(wire, 1 << 20);
      expect(plain.byteLength).toBeLessThanOrEqual(8 * 1024);
      expect(parseFrame(plain)).toEqual(p); // a valid heads frame (checkHeader)
      for (const [k, h] of Object.entries(p.heads)) {
        expect(p.buckets).toContain(bucketOf(k, p.bucketCount));
        expect(h).toEqual(mine.find((s) => s.key === k)?.heads.map((x) => x.slice(0, 16)));
      }
    }
    // The pages' buckets together are exactly the differing ones, each once.
    const covered = pages.flatMap((p) => p.buckets.map((b) => `${p.bucketCount}:${b}`));
    expect(new Set(covered).size).toBe(covered.length);
    expect(new Set(pages.flatMap((p) => p.buckets.map((b) => b % count)))).toEqual(new Set(diff));
  });

  it("lets the receiver handle pages in any order to the same result as one frame", () => {
    // The receiver holds some of our shadows and some of its own.
    const ours = [...mine.filter((_, i) => i % 2 === 0).map((s) => s.key), "rtu-1", "rtu-2", "rtu-3"];
    const one = receive(headsPages(mine, count, diff, 1 << 30), ours);
    expect(headsPages(mine, count, diff, 1 << 30)).toHaveLength(1);
    const pages = headsPages(mine, count, diff, 4 * 1024);
    for (const seed of [1, 2, 3]) expect(receive(shuffled(pages, seed), ours)).toEqual(one);
    expect(one.heads.size).toBeGreaterThan(1000);
    // A page lost changes nothing the other pages say; sent again, it completes the result.
    const lost = receive(pages.slice(1), ours);
    expect(lost.heads.size).toBeLessThan(one.heads.size);
    expect(receive([...pages.slice(1), pages[3] as HeadsFrame, pages[0] as HeadsFrame], ours)).toEqual(one);
  });

  it("splits a bucket too big for a page at a finer count, still covering it exactly", () => {
    const pages = headsPages(mine, 16, [5], 4 * 1024);
    const inFive = mine.filter((s) => bucketOf(s.key, 16) === 5).map((s) => s.key);
    expect(inFive.length).toBeGreaterThan(200);
    expect(pages.length).toBeGreaterThan(2);
    for (const p of pages) {
      expect(p.bucketCount).toBeGreaterThan(16);
      expect(JSON.stringify(p).length).toBeLessThanOrEqual(4 * 1024);
      for (const b of p.buckets) expect(b % 16).toBe(5);
    }
    expect(new Set(pages.flatMap((p) => Object.keys(p.heads)))).toEqual(new Set(inFive));
    const subs = pages.flatMap((p) => p.buckets);
    expect(subs).toHaveLength((pages[0] as HeadsFrame).bucketCount / 16);
  });

  it("lists at most a page's worth of one shadow's heads (fewer heads is safe: the peer sends more)", () => {
    const [wide] = shadows(1, 2000);
    const pages = headsPages([wide as KeyHeads], 16, [bucketOf("pdu-0", 16)], 8 * 1024);
    expect(pages).toHaveLength(1);
    const listed = (pages[0] as HeadsFrame).heads["pdu-0"] ?? [];
    expect(listed.length).toBeGreaterThan(100);
    expect(listed.length).toBeLessThan(2000);
    expect(JSON.stringify(pages[0]).length).toBeLessThanOrEqual(8 * 1024);
  });

  it("sends nothing when no bucket differs, and the bare buckets when we hold nothing in them", () => {
    expect(headsPages(mine, count, [])).toEqual([]);
    expect(headsPages([], count, [3, 9])).toEqual([
      { t: "heads", bucketCount: count, buckets: [3, 9], heads: {} },
    ]);
  });
});
