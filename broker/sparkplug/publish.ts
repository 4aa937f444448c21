import type { Aedes } from "aedes";

/** Publishes raw bytes from the node itself (the host application has no MQTT client of its own). */
export function publishBytes(
  broker: Aedes,
  topic: string,
  payload: Buffer,
  qos: 0 | 1,
  retain: boolean,
): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.publish({ cmd: "publish", topic, payload, qos, retain, dup: false }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}
