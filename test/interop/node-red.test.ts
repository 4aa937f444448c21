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
/** The thing the docs/node-red "test without a PDU" plays, here after the README quickstart. */
const QUICKSTART_THING = "pdu-2";
let node: TestNode;
let red: NodeRed | undefined;
let device: MqttClient | undefined;
let operatorToken = "";
let quickstartPassword = "";

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

type Shadow = { state: Record<string, Record<string, unknown> | undefined>; version?: number };

async function shadow(thing = THING): Promise<Shadow> {
  const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
    headers: { authorization: `Bearer ${operatorToken}` },
  });
  if (res.status === 404) return { state: {} };
  expect(res.status).toBe(200);
  return (await res.json()) as Shadow;
}

/** What `umbra shadow update <thing> <json>` does: POST the request document as the operator. */
async function operatorUpdate(thing: string, json: string): Promise<void> {
  const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
    method: "POST",
    headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
    body: json,
  });
  expect(res.status).toBe(200);
}

/** Polls the shadow (bounded) until `done` holds: an operator runs the doc's commands one after another. */
async function shadowUntil(thing: string, done: (s: Shadow) => boolean): Promise<Shadow> {
  for (let i = 0; i < 100; i++) {
    const s = await shadow(thing);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${thing}: shadow did not reach the expected state in 10 s: ${JSON.stringify(await shadow(thing))}`,
  );
}

/**
 * The commands of the "test without a PDU" in docs/node-red/README.md: the payloads of its
 * `umbra shadow update` lines (operator) and `mosquitto_pub` lines (the PDU), in order, and its
 * expected `# →` lines.
 */
function docSteps(): {
  steps: { as: "operator" | "device"; topic?: string; json: string }[];
  expected: string[];
} {
  const readme = readFileSync(join(REPO_ROOT, "docs/node-red/README.md"), "utf8");
  const at = readme.indexOf("To test without a PDU");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (at < 0 || !block) throw new Error("docs/node-red/README.md: no sh block after 'To test without a PDU'");
  const steps: { as: "operator" | "device"; topic?: string; json: string }[] = [];
  const expected: string[] = [];
  for (const line of block.split("\n")) {
    const update = /umbra shadow update pdu-1 '(.+)'/.exec(line);
    const pub = /^mosquitto_pub .*-t '?([^' ]+)'? -m '(.+)'/.exec(line);
    if (update?.[1]) steps.push({ as: "operator", json: update[1] });
    else if (pub?.[1] && pub[2]) steps.push({ as: "device", topic: pub[1], json: pub[2] });
    else if (line.startsWith("# →")) expected.push(line);
  }
  return { steps, expected };
}

describe.runIf(run)("Node-RED 4.1 with the shipped flow", () => {
  beforeAll(async () => {
    expect(missing).toBeNull();
    node = await startSecureNode();
    const passwords = addIdentities(node, [
      { name: "node-red", role: "operator" },
      { name: THING, role: "device" },
      { name: QUICKSTART_THING, role: "device" },
    ]);
    quickstartPassword = passwords.get(QUICKSTART_THING) ?? "";
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

  it("the doc's test without a PDU acts after the README quickstart, where the outlet is already off", async () => {
    const t = QUICKSTART_THING;
    const d = await loginAs(node.mqttUrl, t, quickstartPassword);
    try {
      // Where the README quickstart leaves its PDU: outlet1 off (desired and reported), outlet2 desired on.
      await operatorUpdate(t, JSON.stringify({ state: { desired: { outlet1: "off" } } }));
      await d.publishAsync(
        `$aws/things/${t}/shadow/update`,
        JSON.stringify({ state: { reported: { outlet1: "off" } } }),
        {
          qos: 1,
        },
      );
      await operatorUpdate(t, JSON.stringify({ state: { desired: { outlet2: "on" } } }));
      await shadowUntil(t, (s) => s.state.reported?.outlet1 === "off" && s.state.desired?.outlet2 === "on");

      // The doc's commands, as written (pdu-1 → this thing): switch on, then watch and overload.
      const { steps, expected } = docSteps();
      const overload = steps.findIndex((s) => s.topic?.endsWith("/telemetry"));
      const reading = steps[overload];
      if (!reading) throw new Error("the doc's block publishes no telemetry reading");
      for (const step of steps.slice(0, overload)) {
        if (step.as === "operator") await operatorUpdate(t, step.json);
        else await d.publishAsync(String(step.topic).replace("pdu-1", t), step.json, { qos: 1 });
      }
      const before = await shadowUntil(t, (s) => s.state.reported?.outlet1 === "on");
      const inbox = new Inbox(d);
      await d.subscribeAsync([`things/${t}/commands`, `$aws/things/${t}/shadow/update/delta`], { qos: 1 });
      await d.publishAsync(`things/${t}/telemetry`, reading.json, { qos: 1 });

      // The flow's delta (older ones, e.g. a pending delta served on subscribe, come first and are skipped).
      let delta: { state: Record<string, unknown>; version: number; clientToken?: string } | undefined;
      for (let i = 0; i < 5 && !delta?.clientToken?.startsWith("node-red-"); i++) {
        delta = await inbox.nextJson(`$aws/things/${t}/shadow/update/delta`, 10_000);
      }
      expect(delta?.clientToken).toMatch(/^node-red-1450W-\d+$/);
      // Only the flow's change is pending, as the doc's expected output says.
      expect(delta?.state).toEqual({ outlet1: "off" });
      expect(delta?.version).toBeGreaterThan(before.version ?? 0);
      expect(expected.join("\n")).toContain('"state":{"outlet1":"off"}');
      let command: { apply: Record<string, unknown>; version: number } | undefined;
      for (let i = 0; i < 5 && command?.version !== delta?.version; i++) {
        command = await inbox.nextJson(`things/${t}/commands`, 10_000);
      }
      expect(command?.apply).toEqual({ outlet1: "off" });
      expect(expected.join("\n")).toContain('"apply":{"outlet1":"off"}');
      expect(red?.log()).not.toMatch(/\[error\]/);
    } finally {
      await d.endAsync();
    }
  });
});
