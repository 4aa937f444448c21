import type { Aedes, Client, PublishPacket } from "aedes";
import { liveMatcher, storedSubscriptions } from "./aedes-seam.ts";

/** A message the node publishes as itself. */
export interface NodeMessage {
  topic: string;
  payload: Buffer;
  /** Default 1, so QoS 1 subscribers get it reliably. */
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** MQTT 5 properties (a response's Correlation Data, content type, user properties). */
  properties?: PublishPacket["properties"];
}

/**
 * The one way the node publishes as itself (shadow replies and documents, presence, alarms, Sparkplug,
 * relayed messages): to every matching subscriber, retained if asked, through aedes' own publish (the
 * node has no client session). Resolves once aedes has handed it on; rejects with aedes' error (its
 * persistence failed to store a retained message or a queued one).
 */
export function publishFromNode(broker: Aedes, message: NodeMessage): Promise<void> {
  const { topic, payload, qos = 1, retain = false, properties } = message;
  const packet: PublishPacket = { cmd: "publish", topic, payload, qos, retain, dup: false };
  if (properties) packet.properties = properties;
  return new Promise((resolve, reject) => {
    broker.publish(packet, (err) => (err ? reject(err) : resolve()));
  });
}

/** Publishes a JSON payload from the node itself (QoS 1). */
export function publishJson(broker: Aedes, topic: string, body: unknown, retain = false): Promise<void> {
  return publishFromNode(broker, { topic, payload: Buffer.from(JSON.stringify(body)), retain });
}

/**
 * Sends a JSON payload to one client only (e.g. the pending delta right after it subscribes). Resolves
 * once aedes has written it (or failed to: a closed connection), never rejects. The callback is
 * required by aedes: without one it throws and kills the process.
 */
export function sendJson(client: Client, topic: string, body: unknown): Promise<void> {
  return new Promise((resolve) => {
    client.publish(
      {
        cmd: "publish",
        topic,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => resolve(),
    );
  });
}

/**
 * Whether any subscription could match `topic`: a live one (the broker's mqemitter matcher), or one of
 * a persistent session that is offline (aedes' persistence), so the node can skip rendering and
 * publishing messages nobody would receive. Errs on the
 * side of publishing: `#`-style filters that aedes later filters out for `$` topics count as matches,
 * and without a matcher every topic counts as subscribed.
 */
export async function hasSubscribers(broker: Aedes, topic: string): Promise<boolean> {
  const matcher = liveMatcher(broker);
  if (!matcher) return true;
  if (matcher.match(topic).length > 0) return true;
  // Persistent sessions (clean session 0) that are offline right now still want the message queued.
  const stored = storedSubscriptions(broker, topic);
  return stored === undefined || (await stored).length > 0;
}
