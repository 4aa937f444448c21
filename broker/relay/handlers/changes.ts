import { tipsOf } from "../../../shared/relay/heads.ts";
import { type AckFrame, type ChangesFrame, isValidKey } from "../../../shared/relay/protocol.ts";
import { sameHeads } from "../../shadow/shadow-doc.ts";
import { isSecondBase } from "../epoch-split.ts";
import { addrOfKey } from "../link-types.ts";
import type { LinkContext } from "./context.ts";

/**
 * `changes`: merged through the shadow service (all shadows of the frame together, so the group
 * commit writes them in one transaction), then acknowledged, with `repair` for the shadows whose
 * changes arrived without their dependencies. Shadows outside the share policy are ignored, and so
 * is a second base for an epoch this site holds a base of (epoch-split.ts: reported, not retried).
 */
export async function handleChanges(ctx: LinkContext, frame: ChangesFrame): Promise<void> {
  const repair: Record<string, string[]> = {};
  const merged = await Promise.all(
    frame.sets.map((set) => {
      const addr = addrOfKey(set.key);
      if (isValidKey(set.key) && ctx.deps.allows(addr.thing)) {
        const epoch = frame.shadowEpochs?.[set.key] ?? 0;
        return ctx.deps.service.merge(addr, set.changes, ctx.peer, epoch).then(
          (result) => ({ set, addr, result }),
          (err) => {
            // A second base for an epoch we hold (two cutters): not mergeable, and resending cannot
            // help. Reported, and acknowledged with the rest of the frame so it is not resent forever.
            if (!isSecondBase(err, set.key, epoch)) throw err;
            ctx.epochSplit(set.key, addr.thing, epoch);
            return undefined;
          },
        );
      }
      ctx.counters.denied++;
      ctx.deps.log.warn(
        { peer: ctx.peer, shadow: set.key.slice(0, 200) },
        "relay: shadow outside the share policy ignored",
      );
      return undefined;
    }),
  );
  for (const m of merged) {
    if (!m) continue;
    const { set, addr, result } = m;
    ctx.counters.changesReceived += set.changes.length;
    const theirs = frame.heads[set.key] ?? tipsOf(set.changes);
    if (result.stale) {
      // The peer is in an older epoch: it gets ours from the skeleton, adopts it and carries over.
      ctx.sync.setKnown(set.key, []);
      ctx.sync.optimistic.delete(set.key);
      ctx.markDirty(set.key, addr.thing);
    } else if (result.resend) repair[set.key] = [];
    else if (result.missing) repair[set.key] = result.heads;
    else if (theirs) {
      learnHeld(ctx, set.key, theirs);
      if (!sameHeads(result.heads, theirs)) ctx.markDirty(set.key, addr.thing);
      // The peer may now be known to hold all we have: an agreed cut waiting for it may be due.
      ctx.deps.acked?.(set.key);
    }
  }
  const ack: AckFrame = { t: "ack", epoch: frame.epoch, seq: frame.seq };
  if (Object.keys(repair).length > 0) ack.repair = repair;
  ctx.transmit(ack);
}

/**
 * The peer holds `heads` of `key` (it sent them, or acknowledged a frame that carried them). It also
 * still holds what it was known to hold before, as long as that is in this document (same epoch):
 * acks and frames cross on the link (a frame the peer sent before our last changes reached it is
 * merged after their ack, an ack of an older frame comes after a newer merge), so replacing the known
 * heads would move them back, and an agreed cut would wait for a write that may never come.
 */
export function learnHeld(ctx: LinkContext, key: string, heads: string[]): void {
  const before = ctx.sync.known.get(key);
  const keep = before && before.length > 0 && ctx.deps.store.open(addrOfKey(key)).doc.hasAll(before);
  ctx.sync.setKnown(key, keep ? [...new Set([...before, ...heads])] : heads);
}
