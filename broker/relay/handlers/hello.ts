import type { HelloFrame } from "../../../shared/relay/protocol.ts";
import type { LinkContext } from "./context.ts";

/**
 * `hello`: the peer (re)started its session. A parent opens its own session in answer; a child, whose
 * session opened on connect, now knows the parent's filter and sends its digest. A child's `noCut`
 * (things another parent of it cuts) holds this parent's agreed cuts of them back.
 */
export function handleHello(ctx: LinkContext, frame: HelloFrame): void {
  ctx.counters.site = frame.site;
  try {
    ctx.setPeerFilter(frame.things);
  } catch (err) {
    ctx.setPeerFilter(undefined);
    ctx.deps.log.warn({ peer: ctx.peer, err: (err as Error).message }, "relay: share filter ignored");
  }
  try {
    ctx.setPeerNoCut(frame.noCut);
  } catch (err) {
    ctx.setPeerNoCut(undefined);
    ctx.deps.log.warn({ peer: ctx.peer, err: (err as Error).message }, "relay: no-cut list ignored");
  }
  if (ctx.deps.side === "parent") ctx.open();
  else if (ctx.up) ctx.sendDigest();
}
