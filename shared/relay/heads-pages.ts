import { type KeyHeads, keyHash } from "./digest.ts";
import { HEAD_PREFIX_CHARS, type HeadsFrame, MAX_BUCKETS } from "./protocol.ts";

/**
 * Digest repair in pages (docs/relay.md, "Digest repair"): the heads of the shadows in the buckets
 * whose digests differ go in several `heads` frames of at most about `pageBytes` of JSON each, so a
 * receiver never parses more than that at once (its frame cap is 1 MiB, docs/security.md, "Sites").
 *
 * Each page lists whole buckets and the heads of every shadow we hold in them: the receiver handles
 * each page on its own (a shadow of a listed bucket that the page does not name, we lack), so pages
 * may arrive in any order, twice, or not at all (a lost page leaves its shadows as they were until the
 * next repair). A bucket too big for one page is split by stating the page's buckets at a finer count:
 * with power-of-two counts, bucket `b` of `count` is exactly buckets `b + k·count` of `k·count`, so a
 * receiver that knows nothing of paging handles such pages too. Pure: no I/O.
 */
export const HEADS_PAGE_BYTES = 512 * 1024;

/** JSON bytes of one entry `"key":["prefix",…],` (keys are ASCII: shared/topics.ts). */
function entryBytes(key: string, heads: number): number {
  return key.length + 6 + heads * (HEAD_PREFIX_CHARS + 3);
}

/** The frame's fixed part and one bucket number in its `buckets` list. */
const FRAME_BYTES = 64;
const BUCKET_BYTES = 6;

export function headsPages(
  shared: readonly KeyHeads[],
  count: number,
  differing: readonly number[],
  pageBytes = HEADS_PAGE_BYTES,
): HeadsFrame[] {
  if (differing.length === 0) return [];
  const wanted = new Set(differing);
  const budget = Math.max(256, pageBytes - FRAME_BYTES);
  // A single shadow's entry never exceeds a page: past that many heads, only the first are listed.
  // Listing fewer heads than we hold is safe: the peer then believes we hold less and sends more.
  const maxHeads = Math.max(1, Math.floor((budget / 2 - 200) / (HEAD_PREFIX_CHARS + 3)));
  const entries: { key: string; hash: number; heads: string[]; bytes: number }[] = [];
  for (const s of shared) {
    const hash = keyHash(s.key);
    if (!wanted.has(hash % count)) continue;
    const heads = [...s.heads]
      .sort()
      .slice(0, maxHeads)
      .map((h) => h.slice(0, HEAD_PREFIX_CHARS));
    entries.push({ key: s.key, hash, heads, bytes: entryBytes(s.key, heads.length) });
  }
  // The finest count needed so that no bucket outgrows half a page (at most MAX_BUCKETS).
  let fine = count;
  for (; fine < MAX_BUCKETS; fine *= 2) {
    const sizes = new Map<number, number>();
    let max = 0;
    for (const e of entries) {
      const b = e.hash % fine;
      const size = (sizes.get(b) ?? BUCKET_BYTES) + e.bytes;
      sizes.set(b, size);
      max = Math.max(max, size);
    }
    if (max <= budget / 2) break;
  }
  const byBucket = new Map<number, typeof entries>();
  for (const e of entries) {
    const b = e.hash % fine;
    const list = byBucket.get(b);
    if (list) list.push(e);
    else byBucket.set(b, [e]);
  }
  const pages: HeadsFrame[] = [];
  let buckets: number[] = [];
  let keys: (typeof entries)[number][] = [];
  let size = 0;
  // Keys in order within a page: neighbours share prefixes, so the page compresses better.
  const close = () => {
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const heads = Object.fromEntries(keys.map((e) => [e.key, e.heads]));
    pages.push({ t: "heads", bucketCount: fine, buckets, heads });
    buckets = [];
    keys = [];
    size = 0;
  };
  for (const d of [...differing].sort((a, b) => a - b)) {
    for (let b = d; b < fine; b += count) {
      const list = byBucket.get(b) ?? [];
      const bytes = list.reduce((n, e) => n + e.bytes, BUCKET_BYTES);
      if (buckets.length > 0 && size + bytes > budget) close();
      buckets.push(b);
      keys.push(...list);
      size += bytes;
    }
  }
  close();
  return pages;
}
