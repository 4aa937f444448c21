import type { Aedes, AuthenticateError, Client, ConnectPacket } from "aedes";
import { isNodeOwnedTopic, ROOTS } from "../../shared/topics.ts";

/**
 * MQTT 3.1.1 rules that aedes 1.2 does not enforce by itself, plus the node's own topic rules.
 * Installed as aedes hooks; the security layer wraps these, it does not replace them.
 */

const emptyIdPersistent = new WeakSet<Client>();

/** Remembers clients that sent an empty client id with clean session 0 (checked at authenticate). */
export function markConnect(client: Client, packet: ConnectPacket): void {
  if ((packet.clientId ?? "") === "" && packet.clean === false) emptyIdPersistent.add(client);
}

/** [MQTT-3.1.3-8]: an empty client id with clean session 0 gets CONNACK 2 (identifier rejected). */
export function connectRefusal(client: Client): AuthenticateError | null {
  if (!emptyIdPersistent.has(client)) return null;
  const err = new Error("client id must not be empty when clean session is 0") as AuthenticateError;
  (err as { returnCode: number }).returnCode = 2;
  return err;
}

/**
 * Subscriptions refused with SUBACK 0x80 (the client stays connected): filters under a shadow root
 * that no shadow topic can match, e.g. `$umbra/things/a b/...` or `$umbra/nonsense`.
 */
export function isRefusedFilter(filter: string): boolean {
  const [root, second] = filter.split("/");
  if (!ROOTS.includes(root as (typeof ROOTS)[number])) return false;
  return !(second === undefined || second === "things" || second === "+" || second === "#");
}

/**
 * Node-owned topics (shadow replies, presence) published by a client are acknowledged as MQTT
 * requires [MQTT-3.3.5-2] but not forwarded, so no client can forge a reply or presence.
 */
export function forwardable(packetClientId: string | undefined, topic: string): boolean {
  return !(packetClientId && isNodeOwnedTopic(topic));
}

export function installConformance(broker: Aedes): void {
  const prevForward = broker.authorizeForward;
  broker.authorizeForward = (client, packet) => {
    const origin = (packet as { clientId?: string }).clientId;
    if (!forwardable(origin, packet.topic)) return null;
    return prevForward.call(broker, client, packet);
  };
}
