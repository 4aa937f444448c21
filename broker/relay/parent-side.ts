import type { Aedes, Client, PublishPacket } from "aedes";
import type { Principal } from "../../shared/acl.ts";
import type { MqttAccess } from "../mqtt/access.ts";
import { publishFromNode } from "../mqtt/publish.ts";

/** `$umbra/relay/{child}/up` carries frames from a child, `/down` frames to it. */
export const relayTopic = (child: string, dir: "up" | "down") => `$umbra/relay/${child}/${dir}`;
const UP = /^\$umbra\/relay\/([^/]+)\/up$/;

export interface ChildHandlers {
  /** A connection of site identity `name` is ready (a newer one replaces any older one). */
  connected(name: string, client: Client): void;
  /** A frame from child `name` (authenticated as the site identity of that name). */
  frame(name: string, principal: Principal, payload: Uint8Array, client: Client): void;
  /** A connection of the child closed (maybe an old one, after it reconnected). */
  gone(name: string, client: Client): void;
}

/**
 * The parent side of the relay, in-process on the node's own broker: children publish on their `up`
 * topic (the ACL lets a site identity use only its own name) and receive on `down`, which the node
 * publishes directly. No client connection of our own, so nothing to reconnect.
 */
export function serveChildren(broker: Aedes, access: MqttAccess, handlers: ChildHandlers): () => void {
  const onPublish = (packet: PublishPacket, client: Client | null) => {
    if (!client) return;
    const m = UP.exec(packet.topic);
    if (!m) return;
    const principal = access.sessions.get(client)?.principal;
    if (principal?.role !== "site" || principal.name !== m[1]) return;
    handlers.frame(principal.name, principal, packet.payload as Buffer, client);
  };
  const onReady = (client: Client) => {
    const principal = access.sessions.get(client)?.principal;
    if (principal?.role === "site") handlers.connected(principal.name, client);
  };
  const onDisconnect = (client: Client) => {
    const principal = access.sessions.get(client)?.principal;
    if (principal?.role === "site") handlers.gone(principal.name, client);
  };
  broker.on("clientReady", onReady);
  broker.on("publish", onPublish);
  broker.on("clientDisconnect", onDisconnect);
  return () => {
    broker.off("clientReady", onReady);
    broker.off("publish", onPublish);
    broker.off("clientDisconnect", onDisconnect);
  };
}

/** Publishes a frame to a child (QoS 1; dropped by the broker if the child is not connected). */
export function sendDown(broker: Aedes, child: string, frame: Uint8Array): boolean {
  const payload = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  publishFromNode(broker, { topic: relayTopic(child, "down"), payload }).catch(() => undefined);
  return true;
}
