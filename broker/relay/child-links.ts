import type { Aedes, Client } from "aedes";
import type { Logger } from "../../shared/logger.ts";
import type { MqttAccess } from "../mqtt/access.ts";
import { FrameIntake, type IntakePolicy } from "./frame-intake.ts";
import type { RelayLink } from "./link.ts";
import { serveChildren } from "./parent-side.ts";

export interface ChildLinksDeps {
  broker: Aedes;
  access: MqttAccess;
  log: Logger;
  policy: IntakePolicy;
  /** Every link by peer name (`child:{name}` for these). */
  links: Map<string, RelayLink>;
  /** Creates the link of child `name`; `badFrame` reports frames it could not use to the intake. */
  newLink(name: string, badFrame: (reason: string) => void): RelayLink;
}

/**
 * The children a parent serves: one connection per site identity (a new one replaces the old one,
 * closed at once as MQTT does for client ids, and the link follows the current connection), and
 * each child's frames through its FrameIntake before its RelayLink. A child cut off by its intake has
 * its connection closed, and every redial closed at once, until the cut-off ends.
 */
export function serveChildLinks(deps: ChildLinksDeps): {
  intakes: ReadonlyMap<string, FrameIntake>;
  stop(): void;
} {
  const clients = new Map<string, Client>();
  const intakes = new Map<string, FrameIntake>();
  const linkOf = (name: string): RelayLink => {
    const existing = deps.links.get(`child:${name}`);
    if (existing) return existing;
    const link = deps.newLink(name, (reason) => intakes.get(name)?.refused(reason));
    deps.links.set(link.peer, link);
    return link;
  };
  const intakeOf = (name: string, link: RelayLink): FrameIntake => {
    let intake = intakes.get(name);
    if (!intake) {
      intake = new FrameIntake(link.peer, deps.policy, {
        log: deps.log,
        deliver: (bytes, plain) => {
          link.receive(bytes, plain);
          return link.idle();
        },
        cutOff: () => {
          link.close();
          clients.get(name)?.close();
        },
      });
      intakes.set(name, intake);
    }
    return intake;
  };
  const stop = serveChildren(deps.broker, deps.access, {
    connected(name, client) {
      const old = clients.get(name);
      clients.set(name, client);
      if (intakes.get(name)?.isCutOff) {
        client.close();
        return;
      }
      if (old && old !== client) {
        deps.log.info({ peer: `child:${name}` }, "relay: a new connection of the site replaces the old one");
        deps.links.get(`child:${name}`)?.close();
        old.close();
      }
    },
    frame(name, _principal, payload, client) {
      // Frames of a replaced connection are ignored (the current one says hello and repairs).
      if (clients.get(name) !== client) return;
      const link = linkOf(name);
      intakeOf(name, link).push(payload);
    },
    gone(name, client) {
      if (clients.get(name) !== client) return;
      clients.delete(name);
      deps.links.get(`child:${name}`)?.close();
    },
  });
  return { intakes, stop };
}
