import type { Aedes, Client, PublishPacket } from "aedes";

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
type Deliver = (packet: PublishPacket, cb: (err?: Error) => void) => void;
type FlowClient = Client & { deliverQoS: Deliver; receiveMaximum?: number };
type Parsed = { cmd: string; reasonCode?: number };

interface Flow {
  probing: boolean;
  forwarded: boolean;
}
const flows = new WeakMap<Client, Flow>();

/** Notes which deliveries the forward hooks let through; install after every other forward hook. */
export function installFlowControl(broker: Aedes): void {
  const prev = broker.authorizeForward;
  broker.authorizeForward = (client, packet) => {
    const result = prev.call(broker, client, packet);
    const flow = flows.get(client);
    if (flow?.probing) flow.forwarded = Boolean(result);
    return result;
  };
}

export function limitInflight(client: Client): void {
  const c = client as FlowClient;
  const parser = (
    client as unknown as { _parser?: { prependListener(e: "packet", f: (p: Parsed) => void): void } }
  )._parser;
  if (!parser || typeof c.deliverQoS !== "function") return;
  const deliver = c.deliverQoS;
  const flow: Flow = { probing: false, forwarded: false };
  flows.set(client, flow);
  const held: [PublishPacket, (err?: Error) => void][] = [];
  let inflight = 0;
  const windowOf = () => c.receiveMaximum ?? 65_535;

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

  c.deliverQoS = (packet, cb) => {
    if (packet.qos === 0 || c.version !== 5) return deliver(packet, cb);
    if (inflight < windowOf() && held.length === 0) return send(packet, cb);
    held.push([packet, () => undefined]);
    cb();
  };
  parser.prependListener("packet", (p) => {
    if (p.cmd === "puback" || p.cmd === "pubcomp" || (p.cmd === "pubrec" && (p.reasonCode ?? 0) >= 0x80))
      release();
  });
}
