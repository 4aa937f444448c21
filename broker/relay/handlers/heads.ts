import { bucketOf } from "../../../shared/relay/digest.ts";
import type { HeadsFrame } from "../../../shared/relay/protocol.ts";
import { sameHeads } from "../../shadow/shadow-doc.ts";
import { addrOfKey } from "../link-types.ts";
import type { LinkContext } from "./context.ts";

/**
 * `heads`: the peer's heads (as prefixes) of the shadows in the buckets that differ. What it lacks
 * becomes dirty; a shadow of those buckets it did not list at all it lacks entirely.
 */
export function handleHeads(ctx: LinkContext, frame: HeadsFrame): void {
  const { sync } = ctx;
  const now = ctx.clock.now();
  const listed = new Set<string>();
  for (const [key, prefixes] of Object.entries(frame.heads)) {
    const addr = addrOfKey(key);
    if (!ctx.allows(addr.thing)) continue;
    listed.add(key);
    const doc = ctx.deps.store.open(addr).doc;
    const ours = doc.heads();
    const { hashes: heads, missing } = doc.resolvePrefixes(prefixes);
    const prev = sync.known.get(key);
    if (missing > 0 && prev && ours.every((h) => prev.includes(h))) {
      // The peer is ahead and has already acknowledged everything we hold: nothing to send; its
      // changes are on their way to us (it got our heads too). Without this, a site that was merely
      // behind would send its whole history of the shadow back.
      sync.setKnown(key, [...new Set([...heads, ...ours])]);
      sync.clean(key);
      continue;
    }
    sync.setKnown(key, heads);
    if ((missing === 0 && sameHeads(ours, heads)) || (missing === 0 && doc.changesSince(heads).length === 0))
      sync.clean(key);
    else sync.markDirty(key, now);
  }
  const buckets = new Set(frame.buckets);
  for (const s of ctx.sharedHeads()) {
    if (listed.has(s.key) || !buckets.has(bucketOf(s.key, frame.bucketCount))) continue;
    sync.setKnown(s.key, []);
    sync.markDirty(s.key, now);
  }
  ctx.flushNow();
}
