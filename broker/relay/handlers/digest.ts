import {
  bucketCountFor,
  bucketOf,
  computeDigest,
  differingBuckets,
  type KeyHeads,
} from "../../../shared/relay/digest.ts";
import { headsPages } from "../../../shared/relay/heads-pages.ts";
import type { DigestFrame } from "../../../shared/relay/protocol.ts";
import type { LinkContext, SharedHeads } from "./context.ts";

/** (key, heads) of every stored shadow the link shares (`allows`). */
export function sharedHeads(ctx: Pick<LinkContext, "deps" | "allows">): SharedHeads[] {
  const out: SharedHeads[] = [];
  for (const s of ctx.deps.store.storedHeads()) {
    if (!ctx.allows(s.addr.thing)) continue;
    const heads = s.heads ?? ctx.deps.store.open(s.addr).doc.heads();
    out.push(s.deferred ? { key: s.key, heads, deferred: true } : { key: s.key, heads });
  }
  return out;
}

/** The first step of digest repair: one hash per bucket of the shared shadows' heads. */
export function digestFrame(shared: KeyHeads[]): DigestFrame {
  return { t: "digest", buckets: computeDigest(shared, bucketCountFor(shared.length)) };
}

/**
 * `digest`: the peer's bucket hashes. For the buckets that differ, our heads (as prefixes) go back in
 * `heads` frames of at most `headsPageBytes` each (shared/relay/heads-pages.ts); shadows in equal buckets are held by the peer exactly as we hold them. Then the
 * link is repaired as far as this side can tell: whatever is still dirty goes now.
 */
export function handleDigest(ctx: LinkContext, frame: DigestFrame): void {
  const theirs = frame.buckets;
  const count = theirs.length;
  if (count === 0 || (count & (count - 1)) !== 0)
    throw new Error("digest bucket count is not a power of two");
  const shared = ctx.sharedHeads();
  const differing = differingBuckets(computeDigest(shared, count), theirs);
  const wanted = new Set(differing);
  const now = ctx.clock.now();
  for (const s of shared) {
    if (wanted.has(bucketOf(s.key, count))) continue;
    if (s.deferred) {
      // Equal heads, but updates made while the thing was not shared are not in them: send them.
      ctx.sync.setKnown(s.key, [...s.heads]);
      ctx.sync.markDirty(s.key, now);
    } else if (ctx.sync.dirty.has(s.key) || !ctx.sync.known.has(s.key)) {
      // Equal buckets: the peer holds exactly these heads (a resend would be wasted).
      ctx.sync.setKnown(s.key, [...s.heads]);
      ctx.sync.clean(s.key);
    }
  }
  for (const page of headsPages(shared, count, differing, ctx.headsPageBytes)) ctx.transmit(page);
  ctx.flushNow();
}
