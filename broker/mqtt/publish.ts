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

/** Sends a JSON payload to one client only (e.g. the pending delta right after it subscribes). */
export function sendJson(client: Client, topic: string, body: unknown): void {
  client.publish({
    cmd: "publish",
    topic,
    payload: Buffer.from(JSON.stringify(body)),
    qos: 1,
    retain: false,
    dup: false,
  });
}
