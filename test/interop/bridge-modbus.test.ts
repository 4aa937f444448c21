import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import modbusSerial from "modbus-serial";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollOnce, type RunningBridge, startBridge } from "../../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import type { JsonObject } from "../../shared/json.ts";
import { setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { assertPeers, PEERS_REQUIRED, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import type { TestNode } from "../helpers/node.ts";
import { checkPymodbus, type PymodbusServer, startPymodbus } from "../helpers/pymodbus.ts";

/**
 * The firmware bridge against a real Modbus TCP peer: Debian's pymodbus serving two PDUs (unit ids 1
 * and 2) behind one gateway port, a node that requires credentials, and the bridge logged in with a
 * `bridge` identity. Missing pymodbus fails the run when CI is set.
 */

const peers = checkPymodbus();
const dir = mkdtempSync(join(tmpdir(), "umbra-bridge-modbus-"));

/** An independent Modbus client (its own connection) to look at and change the simulated devices. */
async function modbusClient(port: number) {
  const client = new modbusSerial.default();
  await client.connectTCP("127.0.0.1", { port });
  client.setTimeout(1000);
  return client;
}

/** Reported state; empty before the bridge's first report created the shadow (404). */
async function reportedOf(node: TestNode, thing: string): Promise<JsonObject> {
  const r = await node.service.get({ thing, shadow: "" });
  return r.ok ? ((r.body as { state: { reported?: JsonObject } }).state.reported ?? {}) : {};
}
const bridgeOf = async (node: TestNode, thing: string) =>
  (await reportedOf(node, thing)).$bridge as JsonObject | undefined;

describe.runIf(shouldRunPeerSuite("bridge-modbus", peers))("firmware bridge ↔ pymodbus (Modbus TCP)", () => {
  let node: TestNode;
  let server: PymodbusServer;
  let bridge: RunningBridge;
  let token: string;

  beforeAll(async () => {
    if (PEERS_REQUIRED) assertPeers(peers);
    [node, server] = await Promise.all([startSecureNode(), startPymodbus([1, 2])]);
    const password = node.identities.add("pdu-bridge", "bridge", "pdu-*");
    token = node.identities.createToken("modbus-viewer", "viewer", "*").token;
    const gateway = `127.0.0.1:${server.port}`;
    // A profile with a register the device does not have (the simulator's holding block ends at 31).
    const partialProfile = join(dir, "partial.yaml");
    writeFileSync(
      partialProfile,
      [
        "name: partial",
        "driver: modbus",
        "points:",
        "  - { path: voltage, scale: 0.1, address: { table: holding, address: 0 } }",
        "  - { path: missing, address: { table: holding, address: 200 } }",
      ].join("\n"),
    );
    const config = parseBridgeConfig(
      [
        `node: { url: '${node.mqttUrl}', username: pdu-bridge }`,
        "defaults: { pollInterval: 100ms, timeout: 300ms, backoffMax: 400ms }",
        "devices:",
        `  - { thing: pdu-1, driver: modbus, address: '${gateway}', profile: generic-modbus-pdu, options: { unitId: 1 } }`,
        `  - { thing: pdu-2, driver: modbus, address: '${gateway}', profile: generic-modbus-pdu, options: { unitId: 2 } }`,
        `  - { thing: pdu-9, driver: modbus, address: '${gateway}', profile: generic-modbus-pdu, options: { unitId: 9 } }`,
        `  - { thing: pdu-x, driver: modbus, address: '${gateway}', profile: '${partialProfile}', options: { unitId: 2 } }`,
      ].join("\n"),
      "/tmp/bridge-modbus-test.yaml",
      { UMBRA_BRIDGE_PASSWORD: password },
    );
    bridge = await startBridge(config, {
      runner: { verifyDelaysMs: [0, 50, 200], backoff: { initialMs: 100, maxMs: 400 } },
      device: {
        reconnect: { initialMs: 20, maxMs: 200 },
        retry: { initialMs: 50, maxMs: 200 },
        requestTimeoutMs: 3000,
      },
    });
  });

  afterAll(async () => {
    await bridge?.close();
    await server?.kill();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads outlets, readings and the name into reported", async () => {
    const r = await until("pdu-1 reported", async () => {
      const rep = await reportedOf(node, "pdu-1");
      return rep.name === "PDU-1" ? rep : undefined;
    });
    expect(r.outlets).toEqual({ 1: "on", 2: "on", 3: "off", 4: "on", 5: "on", 6: "on", 7: "on", 8: "on" });
    expect(r.input).toEqual({
      voltage: 230.4,
      current: 5.12,
      power: 1178.5,
      energy: 123457,
      frequency: 50.01,
    });
    expect(r.temperature).toBe(23.5);
    expect(r.$bridge).toMatchObject({ reachable: true, driver: "modbus", profile: "generic-modbus-pdu" });
    expect(r.$bridge).not.toHaveProperty("error"); // reported as null: the shadow deletes the key
    const r2 = await until("pdu-2 reported", async () =>
      (await reportedOf(node, "pdu-2")).name === "PDU-2" ? true : undefined,
    );
    expect(r2).toBe(true);
    expect(((await reportedOf(node, "pdu-2")).input as JsonObject).voltage).toBe(229.4);
    // Four devices (units 1, 2, 9 and 2 again) behind one gateway: one TCP connection (iproute2's ss).
    const sockets = execFileSync("ss", ["-Htn", "state", "established", `( dport = :${server.port} )`], {
      encoding: "utf8",
    });
    expect(sockets.trim().split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("desired outlet off → coil written and read back → delta closes", async () => {
    const t0 = Date.now();
    await setDesired(node, "pdu-1", { outlets: { 2: "off" } });
    const s = await until("delta closed", async () => {
      const sh = await shadowOf(node, "pdu-1");
      return (sh.reported?.outlets as JsonObject | undefined)?.[2] === "off" && sh.delta === undefined
        ? sh
        : undefined;
    });
    const ms = Date.now() - t0;
    const status = s.reported?.$status as { conditions: JsonObject[] } | undefined;
    const conditions = status?.conditions ?? [];
    expect(conditions.find((c) => c.type === "Reconciled")).toMatchObject({ status: "True" });
    const client = await modbusClient(server.port);
    try {
      client.setID(1);
      const coils = await client.readCoils(0, 8);
      expect(coils.data.slice(0, 8)).toEqual([true, false, false, true, true, true, true, true]);
    } finally {
      client.close(() => undefined);
    }
    process.stderr.write(`bridge-modbus: desired outlet off → delta closed in ${ms} ms\n`);
  });

  it("an unknown unit id is unreachable while another device on the same gateway keeps reporting", async () => {
    const mark = await until("pdu-9 unreachable", async () => {
      const b = await bridgeOf(node, "pdu-9");
      return b?.reachable === false ? b : undefined;
    });
    expect(mark.error).toMatch(/modbus 127\.0\.0\.1:\d+ unit 9: .*no answer within 300 ms/);
    expect(typeof mark.since).toBe("string");
    // Change a reading on unit 2: the bridge still publishes it promptly (a measurement: as telemetry;
    // `reported` gets it at the next summary, a minute by default).
    const client = await modbusClient(server.port);
    try {
      client.setID(2);
      await client.writeRegister(0, 2400);
    } finally {
      client.close(() => undefined);
    }
    await until(
      "pdu-2 publishes the new voltage",
      async () => {
        const res = await fetch(`${node.httpUrl}/things/pdu-2/telemetry/latest`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { metrics: Record<string, { value: number }> };
        return body.metrics["input/voltage"]?.value === 240;
      },
      3000,
    );
    expect((await bridgeOf(node, "pdu-9"))?.reachable).toBe(false);
  });

  it("a register the device lacks (exception 2) is an error, not unreachable; the other points are reported", async () => {
    const r = await until("pdu-x reported", async () => {
      const rep = await reportedOf(node, "pdu-x");
      return rep.voltage !== undefined && rep.$bridge ? rep : undefined;
    });
    expect(r.$bridge).toMatchObject({
      reachable: true,
      error: expect.stringMatching(/unit 2: read holding 200\.\.200: Modbus exception 2/),
    });
    expect(r).not.toHaveProperty("missing");
  });

  it("server killed → unreachable; restarted on the same port → recovers and re-applies desired", async () => {
    const port = server.port;
    await server.kill();
    const down = await until("pdu-1 unreachable", async () => {
      const b = await bridgeOf(node, "pdu-1");
      return b?.reachable === false ? b : undefined;
    });
    expect(down.error).toMatch(/modbus 127\.0\.0\.1:\d+/);
    const t0 = Date.now();
    server = await startPymodbus([1, 2], port);
    await until(
      "pdu-1 reachable again",
      async () => (await bridgeOf(node, "pdu-1"))?.reachable === true,
      5000,
    );
    const recoveredMs = Date.now() - t0;
    // The restarted device came back with outlet 2 on; desired says off, so the bridge switches it off again.
    await until(
      "outlet 2 off again on the device",
      async () => {
        const client = await modbusClient(port);
        try {
          client.setID(1);
          return (await client.readCoils(1, 1)).data[0] === false;
        } finally {
          client.close(() => undefined);
        }
      },
      5000,
      100,
    );
    await until("delta closed again", async () => (await shadowOf(node, "pdu-1")).delta === undefined);
    process.stderr.write(`bridge-modbus: server restarted → reachable again after ${recoveredMs} ms\n`);
  });
});

describe.runIf(shouldRunPeerSuite("bridge-modbus", peers))("a gateway with many silent unit ids", () => {
  let server: PymodbusServer;
  beforeAll(async () => {
    if (PEERS_REQUIRED) assertPeers(peers);
    server = await startPymodbus([1]);
  });
  afterAll(async () => {
    await server?.kill();
  });

  it("the answering unit is late, not unreachable; no socket stays open after the poll", async () => {
    const gateway = `127.0.0.1:${server.port}`;
    const silent = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const config = parseBridgeConfig(
      [
        "node: { url: 'mqtt://127.0.0.1:1', username: b }",
        "defaults: { timeout: 200ms }",
        "devices:",
        ...[...silent, 1].map(
          (u) =>
            `  - { thing: gw-${u}, driver: modbus, address: '${gateway}', profile: generic-modbus-pdu, options: { unitId: ${u} } }`,
        ),
      ].join("\n"),
      "/tmp/bridge-gateway-test.yaml",
      {},
    );
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    const started = Date.now();
    const out = await pollOnce(config);
    // Ten silent units × 200 ms ahead of it in the gateway's queue: longer than 4 × timeout + 1 s, yet
    // unit 1 answered every request within its timeout.
    expect(Date.now() - started).toBeGreaterThan(1800);
    expect(out.get("gw-1")?.$bridge).toMatchObject({ reachable: true, error: null });
    expect(out.get("gw-1")?.name).toBe("PDU-1");
    expect(out.get("gw-20")?.$bridge).toMatchObject({ reachable: false });
    await new Promise((r) => setTimeout(r, 300));
    expect(sockets()).toBe(before);
  });
});
