import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, loginAs, startSecureNode } from "../helpers/acl-clients.ts";
import { PEERS_REQUIRED } from "../helpers/mosquitto.ts";
import { Inbox } from "../helpers/mqtt.ts";
import { REPO_ROOT, type TestNode } from "../helpers/node.ts";
import { type NodeRed, nodeRedMissing, startNodeRed } from "../helpers/node-red.ts";

/**
 * The shipped flow (docs/node-red/flow.json) in real Node-RED 4.1, with only stock `mqtt in`/`mqtt out`
 * and function nodes, logged in to a node that requires credentials as an operator identity. A plain
 * mqtt.js client plays the PDU: its telemetry makes the flow set desired state, the resulting delta
 * makes the flow send it a command, and its reported state closes the delta.
 */
const missing = nodeRedMissing();
const run = missing === null || PEERS_REQUIRED;
if (!run) process.stderr.write(`SKIP node-red: ${missing} (set CI to make this a failure)\n`);

const THING = "pdu-1";
let node: TestNode;
let red: NodeRed | undefined;
let device: MqttClient | undefined;
let operatorToken = "";

function shippedFlow(host: string, port: number): Record<string, unknown>[] {
  const flow = JSON.parse(readFileSync(join(REPO_ROOT, "docs/node-red/flow.json"), "utf8")) as Record<
    string,
    unknown
  >[];
  const broker = flow.find((n) => n.type === "mqtt-broker");
  if (!broker) throw new Error("docs/node-red/flow.json has no mqtt-broker config node");
  return flow.map((n) => (n === broker ? { ...n, broker: host, port: String(port) } : n));
}

/** Resolves once the client `clientId` has subscribed to every filter in `filters` on the test node. */
function flowSubscribed(clientId: string, filters: string[]): Promise<void> {
  const pending = new Set(filters);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.broker.off("subscribe", onSubscribe);
      reject(new Error(`${clientId} did not subscribe to ${[...pending].join(", ")} within 15 s`));
    }, 15_000);
    const onSubscribe = (subs: { topic: string }[], client: { id: string }) => {
      if (client.id !== clientId) return;
      for (const s of subs) pending.delete(s.topic);
      if (pending.size > 0) return;
      clearTimeout(timer);
      node.broker.off("subscribe", onSubscribe);
      resolve();
    };
    node.broker.on("subscribe", onSubscribe);
  });
}

async function shadow(): Promise<{ state: Record<string, Record<string, unknown> | undefined> }> {
  const res = await fetch(`${node.httpUrl}/things/${THING}/shadow`, {
    headers: { authorization: `Bearer ${operatorToken}` },
  });
  if (res.status === 404) return { state: {} };
  expect(res.status).toBe(200);
  return (await res.json()) as { state: Record<string, Record<string, unknown> | undefined> };
}

describe.runIf(run)("Node-RED 4.1 with the shipped flow", () => {
  beforeAll(async () => {
    expect(missing).toBeNull();
    node = await startSecureNode();
    const passwords = addIdentities(node, [
      { name: "node-red", role: "operator" },
      { name: THING, role: "device" },
    ]);
    operatorToken = node.identities.createToken("test", "operator", "*").token;
    const flow = shippedFlow("127.0.0.1", node.mqttPort);
    const broker = flow.find((n) => n.type === "mqtt-broker") as { id: string; clientid: string };
    // Node-RED logs "Connected" before it subscribes: wait for both of the flow's SUBSCRIBEs instead.
    const subscribed = flowSubscribed(broker.clientid, [
      "things/+/telemetry",
      "$aws/things/+/shadow/update/delta",
    ]);
    red = await startNodeRed(flow, {
      [broker.id]: { user: "node-red", password: passwords.get("node-red") },
    });
    await red.waitFor(/Connected to broker: .*mqtt:\/\/127\.0\.0\.1/);
    await subscribed;
    device = await loginAs(node.mqttUrl, THING, passwords.get(THING) ?? "");
  }, 20_000);
  afterAll(async () => {
    await device?.endAsync();
    await red?.stop();
    await node?.stop();
  });

  it("sets desired on overload telemetry, turns the delta into a command, and the report closes it", async () => {
    const d = device as MqttClient;
    const inbox = new Inbox(d);
    await d.subscribeAsync([`things/${THING}/commands`, `$aws/things/${THING}/shadow/update/delta`], {
      qos: 1,
    });
    // A reading under the limit changes nothing; the flow handles readings in order, so the first
    // delta carries the clientToken of the overload reading, not of this one.
    await d.publishAsync(`things/${THING}/telemetry`, JSON.stringify({ watts: 300 }), { qos: 1 });
    await d.publishAsync(`things/${THING}/telemetry`, JSON.stringify({ watts: 1450 }), { qos: 1 });
    const delta = await inbox.nextJson<{ state: Record<string, unknown>; clientToken?: string }>(
      `$aws/things/${THING}/shadow/update/delta`,
    );
    expect(delta.state).toEqual({ outlet1: "off" });
    expect(delta.clientToken).toMatch(/^node-red-1450W-\d+$/);
    expect((await shadow()).state.desired).toEqual({ outlet1: "off" });

    const command = await inbox.nextJson<{ apply: Record<string, unknown>; version: number }>(
      `things/${THING}/commands`,
    );
    expect(command.apply).toEqual({ outlet1: "off" });
    expect(command.version).toBeGreaterThan(0);

    // The device applies the command and reports; desired and reported agree, so no delta remains.
    await d.publishAsync(
      `$aws/things/${THING}/shadow/update`,
      JSON.stringify({ state: { reported: { outlet1: "off" } } }),
      { qos: 1 },
    );
    const after = await shadow();
    expect(after.state.reported).toEqual({ outlet1: "off" });
    expect(after.state.delta).toBeUndefined();
    expect(red?.log()).not.toMatch(/\[error\]/);
  });
});
