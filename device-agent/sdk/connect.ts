import { isValidShadowName, isValidThingName } from "../../shared/topics.ts";
import { ShadowDevice } from "./device.ts";
import type { Device, DeviceOptions } from "./types.ts";

/**
 * Connects a device to a node (or any MQTT 3.1.1 broker serving the AWS IoT shadow topics) and resolves
 * once it is subscribed and has fetched its shadow (`ready()`), unless `waitForReady` is false. Rejects
 * when the broker refuses the credentials (DeviceConnectionError, reason "refused") or the identity may
 * not use this thing's shadow (ShadowRejectedError 403); an unreachable broker is retried with backoff.
 */
export async function connectDevice(options: DeviceOptions): Promise<Device> {
  if (!isValidThingName(options.thing))
    throw new TypeError(`invalid thing name: ${JSON.stringify(options.thing)}`);
  if (options.shadowName !== undefined && !isValidShadowName(options.shadowName)) {
    throw new TypeError(`invalid shadow name: ${JSON.stringify(options.shadowName)}`);
  }
  const urlProblem = nodeUrlProblem(options.url);
  if (urlProblem) throw new TypeError(urlProblem);
  const device = new ShadowDevice(options);
  device.start();
  if (options.waitForReady === false) return device;
  try {
    await device.ready();
  } catch (err) {
    await device.close();
    throw err;
  }
  return device;
}

const MQTT_SCHEMES = new Set(["mqtt", "mqtts", "tcp", "ssl", "tls", "ws", "wss"]);

/** Why `url` cannot reach a node's MQTT listener, or undefined when it looks right. */
export function nodeUrlProblem(url: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined)
    return `node URL '${url}' has no scheme: use mqtt://host:1883, mqtts://, ws:// or wss://`;
  if (scheme === "http" || scheme === "https") {
    return `node URL '${url}' is the HTTP API: devices speak MQTT, use mqtt://host:1883 (or mqtts://, ws://, wss://)`;
  }
  if (!MQTT_SCHEMES.has(scheme))
    return `node URL '${url}': unsupported scheme '${scheme}' (use mqtt, mqtts, ws or wss)`;
  return undefined;
}
