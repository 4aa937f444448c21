import { connect } from "node:net";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/**
 * How one connection attempt ended, seen from an mqtt.js client (MQTT 3.1.1, no reconnect):
 * - connected: CONNACK 0 (the client is returned, still open);
 * - refused: a CONNACK with a non-zero return code;
 * - failed: an error before any CONNACK (TLS handshake, reset, …);
 * - closed: the connection closed without error and without CONNACK (e.g. the connection limit);
 * - timeout: none of these within the time limit.
 */
export type Attempt =
  | { outcome: "connected"; client: MqttClient }
  | { outcome: "refused"; code: number }
  | { outcome: "failed"; error: Error }
  | { outcome: "closed" }
  | { outcome: "timeout" };

export function attemptConnect(url: string, opts: IClientOptions = {}, timeoutMs = 5000): Promise<Attempt> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    ...opts,
  });
  return new Promise<Attempt>((resolve) => {
    let done = false;
    const finish = (a: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (a.outcome !== "connected") client.end(true);
      resolve(a);
    };
    const timer = setTimeout(() => finish({ outcome: "timeout" }), timeoutMs + 1000);
    client.once("connect", () => finish({ outcome: "connected", client }));
    client.on("error", (err) => {
      const code = (err as { code?: unknown }).code;
      finish(typeof code === "number" ? { outcome: "refused", code } : { outcome: "failed", error: err });
    });
    // mqtt.js may report the error that closed the socket right after 'close': give it a moment.
    client.once("close", () => setTimeout(() => finish({ outcome: "closed" }), 20));
  });
}

/** Describes an attempt for assertion messages (never includes credentials). */
export function describeAttempt(a: Attempt): string {
  switch (a.outcome) {
    case "refused":
      return `refused with CONNACK ${a.code}`;
    case "failed":
      return `failed: ${a.error.message}`;
    default:
      return a.outcome;
  }
}

/** Subscribes and returns the SUBACK's granted codes (mqtt.js rejects on 0x80; the packet still has them). */
export async function subscribeGranted(
  client: MqttClient,
  filter: string,
  qos: 0 | 1 = 1,
): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filter, { qos })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: (number | object)[] } }).packet?.granted;
    if (!granted) throw err;
    return granted.map((g) => (typeof g === "number" ? g : Number.NaN));
  }
}

/**
 * Opens a raw TCP connection to the URL's port, sends nothing, and resolves with how many
 * milliseconds the node kept it open, or undefined if it was still open after `limitMs`.
 */
export function silentSocketLifetime(url: string, limitMs: number): Promise<number | undefined> {
  const port = Number(new URL(url).port);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.removeAllListeners("close");
      socket.destroy();
      resolve(undefined);
    }, limitMs);
    socket.on("error", () => {});
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}
