import type { Aedes, Client } from "aedes";

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
 * Whether any subscription could match `topic`. Uses the broker's subscription matcher (mqemitter's
 * Qlobber), so the node can skip rendering and publishing messages nobody would receive. Errs on the
 * side of publishing: `#`-style filters that aedes later filters out for `$` topics count as matches,
 * and without a matcher every topic counts as subscribed.
 */
export function hasSubscribers(broker: Aedes, topic: string): boolean {
  const matcher = (broker as unknown as { mq?: { _matcher?: { match(topic: string): unknown[] } } }).mq
    ?._matcher;
  if (!matcher || typeof matcher.match !== "function") return true;
  return matcher.match(topic).length > 0;
}
