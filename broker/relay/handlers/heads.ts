import { bucketOf } from "../../../shared/relay/digest.ts";
import type { HeadsFrame } from "../../../shared/relay/protocol.ts";
import { sameHeads } from "../../shadow/shadow-doc.ts";
import { addrOfKey } from "../link-types.ts";
import type { LinkContext } from "./context.ts";

/**
 * Shadows handled per turn of the event loop: a page lists thousands, and each one we hold costs a
 * document lookup (≈0.3 ms when it is not in memory), so a page yields between slices instead of
 * stalling the node for seconds (docs/benchmarks.md, "Digest repair in pages").
 */
export const HEADS_SLICE = 256;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `heads`: one page of the peer's heads (as prefixes) of the shadows in the buckets that differ
 * (shared/relay/heads-pages.ts). What it lacks becomes dirty; a shadow of the page's buckets it did
 * not list at all it lacks entirely. Each page stands on its own. A page still being handled when its
 * link session ends is abandoned (the next session repairs again).
 */
export async function handleHeads(ctx: LinkContext, frame: HeadsFrame): Promise<void> {
  const { sync } = ctx;
  const session = ctx.window.epoch;
  const stale = () => !ctx.up || ctx.window.epoch !== session;
  const now = ctx.clock.now();
  // What we hold (heads as stored): a shadow we do not hold needs no document to compare.
  const held = new Map(ctx.sharedHeads().map((s) => [s.key, s.heads]));
  const listed = new Set<string>();
  let n = 0;
  for (const [key, prefixes] of Object.entries(frame.heads)) {
    if (++n % HEADS_SLICE === 0) {
      await turn();
      if (stale()) return;
    }
    const addr = addrOfKey(key);
    if (!ctx.allows(addr.thing)) continue;
    listed.add(key);
    if (!held.has(key)) {
      // We hold none of it: nothing to send (a local change to it marks it dirty when committed), and
      // nothing to record (a page naming many shadows we lack costs no state here).
      if (sync.dirty.has(key)) sync.clean(key);
      continue;
    }
    const doc = ctx.deps.store.open(addr).doc;
    const ours = doc.heads();
    // Updates made while the thing was not shared are in no change yet: the sender writes and sends them.
    const deferred = doc.deferredCount > 0;
    const { hashes: heads, missing } = doc.resolvePrefixes(prefixes);
    const prev = sync.known.get(key);
    if (missing > 0 && prev && ours.every((h) => prev.includes(h))) {
      // The peer is ahead and has already acknowledged everything we hold: nothing to send; its
      // changes are on their way to us (it got our heads too). Without this, a site that was merely
      // behind would send its whole history of the shadow back.
      sync.setKnown(key, [...new Set([...heads, ...ours])]);
      if (deferred) sync.markDirty(key, now);
      else sync.clean(key);
      continue;
    }
    sync.setKnown(key, heads);
    if (!deferred && missing === 0 && (sameHeads(ours, heads) || doc.changesSince(heads).length === 0))
      sync.clean(key);
    else sync.markDirty(key, now);
  }
  const buckets = new Set(frame.buckets);
  for (const key of held.keys()) {
    if (listed.has(key) || !buckets.has(bucketOf(key, frame.bucketCount))) continue;
    sync.setKnown(key, []);
    sync.markDirty(key, now);
  }
  ctx.flushNow();
}
