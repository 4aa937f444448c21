import type { Frame } from "../../../shared/relay/protocol.ts";
import { handleAck } from "./ack.ts";
import { handleChanges } from "./changes.ts";
import type { LinkContext } from "./context.ts";
import { handleDigest } from "./digest.ts";
import { handleHeads } from "./heads.ts";
import { handleHello } from "./hello.ts";
import { handleMessages } from "./messages.ts";

export type { LinkContext } from "./context.ts";

/** One handler per frame kind (docs/relay.md, "Frame format"). */
export function handleFrame(ctx: LinkContext, frame: Frame): Promise<void> | void {
  switch (frame.t) {
    case "hello":
      return handleHello(ctx, frame);
    case "digest":
      return handleDigest(ctx, frame);
    case "heads":
      return handleHeads(ctx, frame);
    case "changes":
      return handleChanges(ctx, frame);
    case "ack":
      return handleAck(ctx, frame);
    case "messages":
      return handleMessages(ctx, frame);
  }
}
