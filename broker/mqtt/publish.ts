import type { Aedes, Client } from "aedes";
import { liveMatcher, persistenceOf } from "./aedes-seam.ts";

/** Publishes a JSON payload from the node itself (QoS 1, so QoS 1 subscribers get it reliably). */
export function publishJson(broker: Aedes, topic: string, body: unknown, retain = false): Promise<void> {
  return new Promise((resolve) => {
    broker.publish(
      { cmd: "publish", topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain, dup: false },
      () => resolve(),
    );
  });
}

/**
 * Sends a JSON payload to one client only (e.g. the pending delta right after it subscribes). The
 * callback is required: aedes calls it after the write, and without one it throws and kills the process.
 */
export function sendJson(client: Client, topic: string, body: unknown): void {
  client.publish(
    {
      cmd: "publish",
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      retain: false,
      dup: false,
    },
    () => undefined,
  );
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
  const persistence = persistenceOf<{ subscriptionsByTopic?(t: string): Promise<unknown[]> } | undefined>(
    broker,
  );
  if (!persistence?.subscriptionsByTopic) return true;
  return (await persistence.subscriptionsByTopic(topic)).length > 0;
}
