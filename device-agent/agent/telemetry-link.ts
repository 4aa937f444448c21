import mqtt, { type MqttClient } from "mqtt";
import type { Device, DeviceOptions } from "../sdk/types.ts";

/**
 * Where telemetry is published. The SDK's `Device` is about shadow state and has no raw publish, so
 * unless a device offers one (an optional `publish` method), telemetry gets its own small MQTT
 * connection with the same identity. Its client id `{thing}.telemetry` is not a thing name (a `.` is not
 * allowed there), so it never takes over the device's session nor counts as another thing's presence.
 * QoS 0 and nothing queued: a sample that cannot be sent is replaced by the next one.
 */
export interface TelemetryLink {
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

type Publisher = { publish(topic: string, payload: string, opts?: { qos?: 0 | 1 }): Promise<unknown> };

function devicePublisher(device: Device): Publisher | undefined {
  const candidate = (device as unknown as Partial<Publisher>).publish;
  return typeof candidate === "function" ? (device as unknown as Publisher) : undefined;
}

export function openTelemetryLink(device: Device, opts: DeviceOptions): TelemetryLink {
  const own = devicePublisher(device);
  if (own) {
    return {
      publish: async (topic, payload) => {
        await own.publish(topic, payload, { qos: 0 });
      },
      close: async () => {},
    };
  }
  const client: MqttClient = mqtt.connect(opts.url, {
    protocolVersion: 4,
    clientId: `${opts.thing}.telemetry`,
    username: opts.username,
    password: opts.password,
    clean: true,
    keepalive: 30,
    connectTimeout: 10_000,
    // Telemetry is best effort: a fixed reconnect period is enough (the shadow link does the careful backoff).
    reconnectPeriod: 5000,
    queueQoSZero: false,
    ...(opts.tls ?? {}),
  });
  client.on("error", () => {}); // connection errors show as failed publishes; the shadow link logs the cause
  return {
    publish: async (topic, payload) => {
      if (!client.connected) throw new Error("telemetry connection is not up");
      await client.publishAsync(topic, payload, { qos: 0 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => client.end(true, () => resolve()), 1000);
        client.end(false, () => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
