import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, startSecureNode } from "../helpers/acl-clients.ts";
import {
  assertPeers,
  checkPeers,
  MOSQUITTO_BIN,
  type Mosquitto,
  shouldRunPeerSuite,
  startMosquitto,
} from "../helpers/mosquitto.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * Umbra beside an existing broker: a stock mosquitto bridges a topic tree into a secure Umbra node
 * with a bridge identity (docs/mosquitto-bridge.md). Telemetry goes out; shadow requests go out and
 * their replies and deltas come back, so a device on the mosquitto side uses its shadow unchanged.
 */
const peers = checkPeers([MOSQUITTO_BIN]);
const BRIDGE_CLIENT = "mosquitto-bridge-lab";

let node: TestNode;
let mosq: Mosquitto | undefined;
const clients: MqttClient[] = [];
let operatorToken = "";
let opsPassword = "";

/** The bridge section of mosquitto.conf, exactly as docs/mosquitto-bridge.md shows it. */
function bridgeSection(umbraPort: number, password: string): string[] {
  const replies = ["accepted", "rejected", "delta", "documents"];
  return [
    "connection umbra",
    `address 127.0.0.1:${umbraPort}`,
    "bridge_protocol_version mqttv311",
    "try_private false",
    "notifications false",
    "cleansession true",
    `remote_clientid ${BRIDGE_CLIENT}`,
    "remote_username lab-gw",
    `remote_password ${password}`,
    "restart_timeout 1 5",
    "topic things/+/telemetry/# out 1",
    "topic $aws/things/+/shadow/update out 1",
    "topic $aws/things/+/shadow/get out 1",
    ...["rack-1", "rack-2"].flatMap((thing) => [
      ...replies.map((r) => `topic $aws/things/${thing}/shadow/update/${r} in 1`),
      `topic $aws/things/${thing}/shadow/get/accepted in 1`,
    ]),
  ];
}

/** Resolves once the bridge has logged in to Umbra and holds `count` subscriptions there. */
function bridgeSubscribed(count: number): Promise<void> {
  let held = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.broker.off("subscribe", onSubscribe);
      reject(new Error(`bridge made ${held}/${count} subscriptions in 10 s; mosquitto log:\n${mosq?.log()}`));
    }, 10_000);
    const onSubscribe = (subs: unknown[], client: { id: string }) => {
      if (client.id !== BRIDGE_CLIENT) return;
      held += subs.length;
      if (held < count) return;
      clearTimeout(timer);
      node.broker.off("subscribe", onSubscribe);
      resolve();
    };
    node.broker.on("subscribe", onSubscribe);
  });
}

async function umbraShadow(thing: string) {
  const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
    headers: { authorization: `Bearer ${operatorToken}` },
  });
  return {
    status: res.status,
    doc: (await res.json()) as { state: Record<string, unknown>; version: number },
  };
}

describe.runIf(shouldRunPeerSuite("mosquitto bridge", peers))("a stock mosquitto bridged into Umbra", () => {
  beforeAll(async () => {
    assertPeers(peers);
    node = await startSecureNode();
    const pw = addIdentities(node, [
      { name: "lab-gw", role: "bridge", things: "rack-*" },
      { name: "ops", role: "operator" },
    ]);
    opsPassword = pw.get("ops") ?? "";
    operatorToken = node.identities.createToken("test", "operator", "*").token;
    const section = bridgeSection(node.mqttPort, pw.get("lab-gw") ?? "");
    const subscribed = bridgeSubscribed(section.filter((l) => l.endsWith(" in 1")).length);
    mosq = await startMosquitto(10_000, section);
    await subscribed;
  }, 20_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await mosq?.stop();
    await node?.stop();
  });

  it("telemetry published on mosquitto reaches an Umbra subscriber, only for things the bridge is granted", async () => {
    const operator = await connectClient(node.mqttUrl, {
      username: "ops",
      password: opsPassword,
      clientId: "ops-1",
    });
    clients.push(operator);
    const inbox = new Inbox(operator);
    await operator.subscribeAsync("things/+/telemetry/#", { qos: 1 });
    const local = await connectClient((mosq as Mosquitto).url, { clientId: "rack-sensor" });
    clients.push(local);
    // pdu-9 is not granted to the bridge: Umbra drops it, so the first reading seen is rack-1's.
    await local.publishAsync("things/pdu-9/telemetry", JSON.stringify({ watts: 1 }), { qos: 1 });
    await local.publishAsync("things/rack-1/telemetry", JSON.stringify({ watts: 230, inletC: 24.5 }), {
      qos: 1,
    });
    await local.publishAsync("things/rack-1/telemetry/fanRpm", "5200", { qos: 1 });
    expect(await inbox.nextJson("things/rack-1/telemetry")).toEqual({ watts: 230, inletC: 24.5 });
    expect((await inbox.next("things/rack-1/telemetry/fanRpm")).toString()).toBe("5200");
    expect(inbox.pending("things/pdu-9/telemetry")).toBe(0);
  });

  it("a device on mosquitto gets the delta of desired state set in Umbra and closes it with its report", async () => {
    const device = await connectClient((mosq as Mosquitto).url, { clientId: "rack-2" });
    clients.push(device);
    const inbox = new Inbox(device);
    await device.subscribeAsync(
      ["$aws/things/rack-2/shadow/update/delta", "$aws/things/rack-2/shadow/update/accepted"],
      {
        qos: 1,
      },
    );

    const set = await fetch(`${node.httpUrl}/things/rack-2/shadow`, {
      method: "POST",
      headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify({ state: { desired: { fanMode: "turbo" } } }),
    });
    expect(set.status).toBe(200);
    const delta = await inbox.nextJson<{ state: unknown; version: number }>(
      "$aws/things/rack-2/shadow/update/delta",
    );
    expect(delta).toMatchObject({ state: { fanMode: "turbo" }, version: 1 });

    await device.publishAsync(
      "$aws/things/rack-2/shadow/update",
      JSON.stringify({ state: { reported: { fanMode: "turbo" } }, clientToken: "via-mosquitto" }),
      { qos: 1 },
    );
    const accepted = await inbox.nextJson("$aws/things/rack-2/shadow/update/accepted");
    expect(accepted).toMatchObject({
      state: { reported: { fanMode: "turbo" } },
      version: 2,
      clientToken: "via-mosquitto",
    });

    const { status, doc } = await umbraShadow("rack-2");
    expect(status).toBe(200);
    expect(doc.state).toMatchObject({ desired: { fanMode: "turbo" }, reported: { fanMode: "turbo" } });
    expect(doc.state.delta).toBeUndefined();
  });
});
