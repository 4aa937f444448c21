import type { AckFrame } from "../../../shared/relay/protocol.ts";
import type { InFlight } from "../send-window.ts";
import { learnHeld } from "./changes.ts";
import type { LinkContext } from "./context.ts";

/**
 * `ack` of one of our frames: the peer holds what it carried (or, with `repair`, holds these heads of
 * shadows whose changes arrived without their dependencies: they are sent again from there).
 */
export function handleAck(ctx: LinkContext, frame: AckFrame): void {
  const f = ctx.window.get(frame.epoch, frame.seq);
  if (!f) return;
  if (frame.refused) {
    refused(ctx, frame.seq, f);
    return;
  }
  const { sync } = ctx;
  ctx.window.remove(frame.seq);
  if (f.messages) ctx.messagesAcked(f.messages);
  for (const [key, heads] of f.heads) {
    learnHeld(ctx, key, heads);
    sync.acked(key, heads);
  }
  if (ctx.deps.acked) for (const key of f.heads.keys()) ctx.deps.acked(key);
  for (const [key, heads] of Object.entries(frame.repair ?? {})) {
    sync.setKnown(key, heads);
    sync.optimistic.delete(key);
    sync.markDirty(key, ctx.clock.now());
  }
  sync.saveSoon();
  ctx.flushNow();
}

/**
 * The peer could not rebuild a frame (it lacks a change we abbreviated a dependency to): its shadows
 * are sent again from the acknowledged heads, with full hashes for the rest of the session. Refused
 * again with full hashes (a broken peer), the frame stays in flight and is resent on the ack timeout.
 */
function refused(ctx: LinkContext, seq: number, f: InFlight): void {
  if (!f.abbreviated) {
    ctx.deps.log.error(
      { peer: ctx.peer, seq },
      "relay: the peer refused a frame with full hashes; it is resent on the ack timeout",
    );
    return;
  }
  ctx.useFullHashes();
  ctx.window.remove(seq);
  for (const key of f.heads.keys()) {
    ctx.sync.optimistic.delete(key);
    ctx.sync.markDirty(key, f.since);
  }
  ctx.flushNow();
}
