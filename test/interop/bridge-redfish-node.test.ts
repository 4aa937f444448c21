import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollOnce, type RunningBridge, startBridge } from "../../firmware-bridge/bridge.ts";
import { type BridgeConfig, parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { type RedfishEmulator, startRedfishEmulator } from "../helpers/redfish-emulator.ts";
import { httpShadow, type Json } from "../helpers/shadow-http.ts";

/**
 * End to end through a node: the bridge (role `bridge`) runs the shipped `redfish-server` profile
 * against the Redfish emulator; an operator sets desired power off over the HTTP API, the bridge
 * runs #ComputerSystem.Reset (ForceOff), reads PowerState back and reports it.
 */

let pki: TestPki;
let bmc: RedfishEmulator;
let node: TestNode;
let bridge: RunningBridge | undefined;

async function reported(thing: string): Promise<Json> {
  const res = await httpShadow(node.httpUrl, thing, { op: "get" });
  const state = (res.body.state ?? {}) as { reported?: Json };
  return state.reported ?? {};
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

beforeAll(async () => {
  pki = createTestPki();
  [bmc, node] = await Promise.all([startRedfishEmulator({ tls: pki.server }), startTestNode()]);
  const password = node.identities.add("bridge-1", "bridge", "srv-*");
  const config: BridgeConfig = {
    source: "test",
    baseDir: process.cwd(),
    node: { url: node.mqttUrl, username: "bridge-1", password },
    fullReportMs: 60_000,
    backoffMaxMs: 1000,
    devices: [
      {
        profile: "redfish-server",
        spec: {
          thing: "srv-1",
          driver: "redfish",
          address: bmc.url,
          options: { username: "admin", password: "password", ca: pki.ca.cert },
          pollMs: 200,
          timeoutMs: 2000,
        },
      },
    ],
  };
  bridge = await startBridge(config, { runner: { verifyDelaysMs: [0, 100, 300] } });
});

afterAll(async () => {
  await bridge?.close();
  await Promise.all([node?.stop(), bmc?.close()]);
  pki?.remove();
});

describe("bridge → Redfish server through a node", () => {
  it("reports the BMC's state and powers the server off when desired says so", async () => {
    const first = await until(
      "first report",
      () => reported("srv-1"),
      (r) => r.power === "on",
    );
    expect(first.temperatures).toEqual({
      "0": { celsius: 41, name: "CPU1 Temp" },
      "1": { celsius: 38, name: "CPU2 Temp" },
    });
    expect(first.powerWatts).toBe(212);
    expect(first.health).toBe("OK");
    // Power draw and temperatures are measurements: telemetry as well, named by their paths.
    const metrics = await until(
      "telemetry of srv-1",
      async () => {
        const res = await fetch(`${node.httpUrl}/things/srv-1/telemetry/latest`);
        return ((await res.json()) as { metrics: Record<string, { value: number }> }).metrics;
      },
      (m) => m["temperatures/1/celsius"] !== undefined,
    );
    expect(metrics).toMatchObject({
      powerWatts: { value: 212 },
      "temperatures/0/celsius": { value: 41 },
      "temperatures/1/celsius": { value: 38 },
    });

    const update = await httpShadow(node.httpUrl, "srv-1", {
      op: "update",
      body: JSON.stringify({ state: { desired: { power: "off" } } }),
    });
    expect(update.code).toBe(200);
    const after = await until(
      "power off reported",
      () => reported("srv-1"),
      (r) => r.power === "off",
    );
    expect(after.power).toBe("off");
    expect(bmc.state.powerState).toBe("Off");
    expect(bmc.state.resets).toEqual(["ForceOff"]);

    // A one-shot restart: sent once (ForceRestart), then removed from desired; no delta is left.
    const restart = await httpShadow(node.httpUrl, "srv-1", {
      op: "update",
      body: JSON.stringify({ state: { desired: { power: "restart" } } }),
    });
    expect(restart.code).toBe(200);
    const cleared = await until(
      "restart cleared from desired",
      async () => (await httpShadow(node.httpUrl, "srv-1", { op: "get" })).body.state as Record<string, Json>,
      (st) => (st.desired as Json | undefined)?.power === undefined,
    );
    expect(cleared.delta).toBeUndefined();
    expect(bmc.state.resets).toEqual(["ForceOff", "ForceRestart"]);
  });

  it("states the BMC's inventory attributes: type from the profile, vendor/model/serial from Redfish", async () => {
    const token = node.identities.createToken("rf-viewer", "viewer", "*").token;
    const attributes = await until(
      "srv-1's attributes",
      async () => {
        const res = await fetch(`${node.httpUrl}/things/srv-1/attributes`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return res.status === 200 ? ((await res.json()) as { attributes: Json }).attributes : undefined;
      },
      (a) => a?.serial !== undefined,
    );
    expect(attributes).toEqual({ type: "bmc", vendor: "Contoso", model: "TS-100", serial: "TS100-0001" });
  });

  it("polls the BMC once from a bridge.yaml with the password taken from the environment", async () => {
    const yaml = `
node: { url: "${node.mqttUrl}", username: bridge-1 }
devices:
  - thing: srv-2
    driver: redfish
    address: "${bmc.url}"
    profile: redfish-server
    options: { username: admin, password: { env: BMC_PASSWORD }, ca: "${pki.ca.cert}" }
`;
    const config = parseBridgeConfig(yaml, "bridge.yaml", { BMC_PASSWORD: "password" });
    const reports = await pollOnce(config);
    const srv = reports.get("srv-2") as Json;
    expect(srv.power).toBe(bmc.state.powerState === "On" ? "on" : "off");
    expect(srv.temperatures).toMatchObject({ "0": { celsius: 41 } });
    expect(bmc.sessions()).toBe(1); // the running bridge's session; pollOnce closed its own
  });
});
