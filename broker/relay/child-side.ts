import { readFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "../../shared/logger.ts";
import { relayTopic } from "./parent-side.ts";
import type { ParentConfig } from "./relay-config.ts";

export interface ParentDialer {
  send(frame: Uint8Array): boolean;
  close(): Promise<void>;
}

/**
 * The child side: an mqtt.js client dialling the parent (so it works behind NAT), redialling every
 * `reconnectMs` (default 1 s) while the link is down. Frames go up on `$umbra/relay/{user}/up`; `down` is subscribed on
 * every connect (clean session: nothing queues on the parent while we are away; the relay repairs).
 */
export function dialParent(
  parent: ParentConfig,
  log: Logger,
  handlers: { open(): void; frame(payload: Uint8Array): void; close(): void },
): ParentDialer {
  const up = relayTopic(parent.user, "up");
  const down = relayTopic(parent.user, "down");
  const client: MqttClient = mqtt.connect(parent.url, {
    protocolVersion: 4,
    clientId: `umbra-relay-${parent.user}-${parent.name}`.slice(0, 128),
    clean: true,
    username: parent.user,
    password: parent.password,
    reconnectPeriod: parent.reconnectMs,
    connectTimeout: 10_000,
    keepalive: 20,
    ca: parent.ca ? readFileSync(parent.ca) : undefined,
  });
  let lastError = "";
  client.on("connect", () => {
    lastError = "";
    client.subscribe(down, { qos: 1 }, (err, granted) => {
      if (err || granted?.[0]?.qos === 128) {
        log.error(
          { parent: parent.name, topic: down },
          "relay: the parent refused the subscription: is the identity a site named like --parent-user?",
        );
        return;
      }
      handlers.open();
    });
  });
  client.on("message", (topic, payload) => {
    if (topic === down) handlers.frame(payload);
  });
  client.on("close", () => handlers.close());
  client.on("error", (err) => {
    // Logged once per distinct error (a dead parent would otherwise log every second).
    if (err.message !== lastError)
      log.warn({ parent: parent.name, url: parent.url, err: err.message }, "relay: cannot reach parent");
    lastError = err.message;
  });
  return {
    send(frame) {
      if (!client.connected) return false;
      client.publish(up, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { qos: 1 });
      return true;
    },
    close: () => new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
  };
}
