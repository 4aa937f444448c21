import type { MqttClient } from "mqtt";
import { connectClient } from "./mqtt.ts";

export type Behaviour = "obey" | "ignore" | "command";

/**
 * A simulated device on its own MQTT connection: `obey` reports back every delta it is told;
 * `ignore` never does (to trip a job's timeout and abort threshold); `command` runs a one-shot
 * command by clearing the desired key and reporting the state it comes back in (as the bridge does).
 */
export async function startDevice(
  mqttUrl: string,
  thing: string,
  behaviour: Behaviour,
  login: { username?: string; password?: string } = {},
  initial: Record<string, unknown> = { cap: 100, power: "on" },
): Promise<MqttClient> {
  const client = await connectClient(mqttUrl, { clientId: `dev-${thing}`, ...login });
  const base = `$umbra/things/${thing}/shadow`;
  client.on("message", (_topic, payload) => {
    if (behaviour === "ignore") return;
    const delta = (JSON.parse(payload.toString()) as { state: Record<string, unknown> }).state;
    const state =
      behaviour === "command" && delta.power === "cycle"
        ? { desired: { power: null }, reported: { power: "on", cycles: 1 } }
        : { reported: delta };
    client.publish(`${base}/update`, JSON.stringify({ state }), { qos: 1 });
  });
  await client.subscribeAsync(`${base}/update/delta`, { qos: 1 });
  await client.publishAsync(`${base}/update`, JSON.stringify({ state: { reported: initial } }), { qos: 1 });
  return client;
}
