import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";

/**
 * Test stand-ins for what the relay does between two sites, built on the path the node runs:
 * `changesSince` on the sender, `applyRemote` with the change bytes on the receiver.
 */

/** Brings into `to` every change `from` has that `to` lacks (as a relay sync would). */
export function receiveFrom(to: ShadowDocument, from: ShadowDocument, now?: number): boolean {
  return to.applyRemote(from.changesSince(to.heads()), now);
}

/** Another site's copy of `doc`: its saved document loaded under `actor`, with its metadata. */
export function copyAs(doc: ShadowDocument, actor: string): ShadowDocument {
  return ShadowDocument.load(actor, doc.save(), [], doc.view.meta);
}
