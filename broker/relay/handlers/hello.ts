import type { HelloFrame } from "../../../shared/relay/protocol.ts";
import type { LinkContext } from "./context.ts";

/**
 * `hello`: the peer (re)started its session. A parent opens its own session in answer; a child, whose
 * session opened on connect, now knows the parent's filter and sends its digest.
 */
export function handleHello(ctx: LinkContext, frame: HelloFrame): void {
  ctx.counters.site = frame.site;
  try {
    ctx.setPeerFilter(frame.things);
  } catch (err) {
    ctx.setPeerFilter(undefined);
    ctx.deps.log.warn({ peer: ctx.peer, err: (err as Error).message }, "relay: share filter ignored");
  }
  if (ctx.deps.side === "parent") ctx.open();
  else if (ctx.up) ctx.sendDigest();
}
