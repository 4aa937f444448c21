import type { MessagesFrame } from "../../../shared/relay/protocol.ts";
import type { LinkContext } from "./context.ts";

/** `messages`: plain-topic messages from a child, acknowledged once delivered (broker/relay/relay-extension.ts). */
export async function handleMessages(ctx: LinkContext, frame: MessagesFrame): Promise<void> {
  if (!ctx.deps.onMessages) {
    ctx.deps.log.warn({ peer: ctx.peer }, "relay: plain-topic messages received but not accepted here");
    return;
  }
  await ctx.deps.onMessages(frame);
  ctx.transmit({ t: "ack", epoch: frame.epoch, seq: frame.seq });
}
