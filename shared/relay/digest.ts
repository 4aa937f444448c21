import { createHash } from "node:crypto";

/**
 * Digest repair: instead of a per-shadow handshake, each side hashes (key, heads) of the shadows it
 * shares with the peer into buckets; only shadows in buckets whose hashes differ have their heads
 * exchanged, and only shadows whose heads differ get changes. Pure: no I/O.
 */
export interface KeyHeads {
  key: string;
  heads: readonly string[];
}

/** Enough buckets that a handful of differing shadows touch few of them (≈16 shadows per bucket). */
export function bucketCountFor(shadows: number): number {
  let n = 16;
  while (n < shadows / 16 && n < 8192) n *= 2;
  return n;
}

/** The key's 32-bit bucket hash: its bucket among `count` (a power of two) is this modulo `count`. */
export function keyHash(key: string): number {
  return createHash("sha1").update(key).digest().readUInt32BE(0);
}

export function bucketOf(key: string, count: number): number {
  return keyHash(key) % count;
}

/** Per bucket: the first 8 bytes (hex) of SHA-256 over its sorted `key:heads` lines ("" when empty). */
export function computeDigest(entries: Iterable<KeyHeads>, count: number): string[] {
  const lines: string[][] = Array.from({ length: count }, () => []);
  for (const e of entries) {
    lines[bucketOf(e.key, count)]?.push(`${e.key}:${[...e.heads].sort().join(",")}`);
  }
  return lines.map((l) =>
    l.length === 0 ? "" : createHash("sha256").update(l.sort().join("\n")).digest("hex").slice(0, 16),
  );
}

/** Indexes of buckets whose hashes differ. */
export function differingBuckets(ours: readonly string[], theirs: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) if (ours[i] !== theirs[i]) out.push(i);
  return out;
}
