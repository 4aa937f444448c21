import type { AttributeState } from "../../shared/attribute-origins.ts";
import { jsonEqual } from "../../shared/json.ts";
import {
  ATTRIBUTES_SHADOW,
  carrierReported,
  replacementPatch,
  stateFromCarrier,
} from "../../shared/site-attributes.ts";
import { NODE_WRITER } from "../../shared/site-presence.ts";
import type { NodeContext } from "../extension.ts";
import type { ShadowChange } from "../shadow/shadow-service.ts";
import type { FleetService } from "./fleet-service.ts";

/**
 * Attributes across sites (shared/site-attributes.ts): mirrors this node's attribute writes into the
 * reserved `$umbra-attributes` shadow when the node relays, and stores the attributes merged from a
 * peer's changes of that shadow (validated like any write; a refused document is logged and skipped).
 */
export class AttributesRelay {
  constructor(
    private readonly ctx: NodeContext,
    private readonly fleet: FleetService,
    private readonly relays: () => boolean,
  ) {}

  /** After a local write (or at start): the shadow follows when it differs. */
  mirror(thing: string, state: AttributeState): void {
    if (!this.relays()) return;
    const reported = carrierReported(state);
    const addr = { thing, shadow: ATTRIBUTES_SHADOW };
    const current = this.ctx.service.peek(addr);
    const from = current.exists ? current.reported : {};
    if (jsonEqual(from, reported)) return;
    const body = { state: { reported: replacementPatch(from, reported) } };
    this.ctx.service.update(addr, body, NODE_WRITER).then(
      (r) => {
        if (!r.ok) this.ctx.log.warn({ thing, reason: r.error.message }, "attributes shadow refused");
      },
      (err) => this.ctx.log.error({ err, thing }, "attributes shadow write failed"),
    );
  }

  /** A merged change from a peer: its reported section becomes the thing's attributes. */
  readonly onChange = (c: ShadowChange): void => {
    if (c.origin === undefined || c.addr.shadow !== ATTRIBUTES_SHADOW) return;
    const next = stateFromCarrier(c.current.exists ? c.current.reported : {});
    const stored = this.fleet.attributes.get(c.addr.thing);
    if (stored && jsonEqual(stored.attributes, next.attributes) && jsonEqual(stored.origins, next.origins))
      return;
    try {
      this.fleet.storeAttributes(c.addr.thing, next);
    } catch (err) {
      this.ctx.log.warn(
        { thing: c.addr.thing, origin: c.origin, reason: (err as Error).message },
        "relayed attributes refused",
      );
    }
  };

  /** At start: every thing's attributes into its shadow (those already equal cost a comparison). */
  reconcile(): void {
    if (!this.relays()) return;
    for (const a of this.fleet.attributes.all()) this.mirror(a.thing, a);
  }
}
