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
      ctx.sync.setKnown(set.key, theirs);
      if (!sameHeads(result.heads, theirs)) ctx.markDirty(set.key, addr.thing);
    }
  }
  const ack: AckFrame = { t: "ack", epoch: frame.epoch, seq: frame.seq };
  if (Object.keys(repair).length > 0) ack.repair = repair;
  ctx.transmit(ack);
}
