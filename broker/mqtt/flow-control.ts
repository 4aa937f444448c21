import type { Client, PublishPacket } from "aedes";
import {
  beforeClientPackets,
  canLimitInflight,
  type Deliver,
  type HookLayer,
  receiveMaximumOf,
  wrapDelivery,
} from "./aedes-seam.ts";

/**
 * MQTT 5 Receive Maximum towards a client [MQTT-4.9.0-2]: the node sends no more QoS 1/2 PUBLISH packets
 * than the client's Receive Maximum before they are acknowledged (PUBACK; PUBCOMP, or PUBREC ≥ 0x80,
 * for QoS 2). aedes 2.0.0-beta.1 records the value but writes every message at once.
 *
 * Each connection's `deliverQoS` is wrapped before it subscribes (aedes binds it into each
 * subscription). A message over the window waits, in order, in memory; its delivery is reported done at
 * once, so a slow subscriber never holds up its publisher's acknowledgement. A persistent session's
 * messages are also in the persistence and are sent again on resume; for a clean session a held
 * message is lost with the connection, as any undelivered message is. Only what the forward hooks let
 * through counts against the window (they run synchronously inside `deliverQoS`).
 */

interface Flow {
  probing: boolean;
  forwarded: boolean;
}
const flows = new WeakMap<Client, Flow>();

/** Notes which deliveries the forward hooks let through: the layer outside every other forward layer. */
export function flowControlLayer(): HookLayer {
  return {
    name: "flow-control",
    authorizeForward(client, _packet, next) {
      const result = next();
      const flow = flows.get(client);
      if (flow?.probing) flow.forwarded = Boolean(result);
      return result;
    },
  };
}

export function limitInflight(client: Client): void {
  if (!canLimitInflight(client)) return;
  const flow: Flow = { probing: false, forwarded: false };
  flows.set(client, flow);
  const held: [PublishPacket, (err?: Error) => void][] = [];
  let inflight = 0;
  const windowOf = () => receiveMaximumOf(client) ?? 65_535;
  let deliver: Deliver = () => undefined;

  const send = (packet: PublishPacket, cb: (err?: Error) => void) => {
    flow.probing = true;
    flow.forwarded = false;
    deliver(packet, cb);
    flow.probing = false;
    if (flow.forwarded) inflight++;
  };
  const release = () => {
    if (inflight > 0) inflight--;
    while (held.length > 0 && inflight < windowOf()) {
      const [packet, cb] = held.shift() as [PublishPacket, (err?: Error) => void];
      send(packet, cb);
    }
  };

  wrapDelivery(client, (original) => {
    deliver = original;
    return (packet, cb) => {
      if (packet.qos === 0 || client.version !== 5) return deliver(packet, cb);
      if (inflight < windowOf() && held.length === 0) return send(packet, cb);
      held.push([packet, () => undefined]);
      cb();
    };
  });
  beforeClientPackets(client, (p) => {
    if (p.cmd === "puback" || p.cmd === "pubcomp" || (p.cmd === "pubrec" && (p.reasonCode ?? 0) >= 0x80))
      release();
  });
}
