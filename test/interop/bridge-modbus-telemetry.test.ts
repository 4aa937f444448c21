import modbusSerial from "modbus-serial";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import type { JsonObject } from "../../shared/json.ts";
import { shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { assertPeers, PEERS_REQUIRED, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import type { TestNode } from "../helpers/node.ts";
import { checkPymodbus, type PymodbusServer, startPymodbus } from "../helpers/pymodbus.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * Bridged measurements become telemetry, end to end: Debian's pymodbus plays a PDU whose power reading
 * moves all the time (a second Modbus client rewrites the register, as a real meter's value jitters),
 * the bridge polls it with the shipped generic-modbus-pdu profile into a node that requires
 * credentials, and the node's telemetry API holds every poll's watts while `reported` (the shadow's
 * version: one per change) changed only at the summary rate. State (an outlet) still goes to
 * `reported` at once. Missing pymodbus fails the run when CI is set.
 */

const peers = checkPymodbus();
const POLL_MS = 200;
const SUMMARY_MS = 2000;

/** A float32 as two registers, high word first (the profile's wordOrder: big). */
function f32Words(value: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

describe.runIf(shouldRunPeerSuite("bridge-modbus-telemetry", peers))(
  "bridged measurements as telemetry",
  () => {
    let node: TestNode;
    let server: PymodbusServer;
    let bridge: RunningBridge;
    let meter: InstanceType<typeof modbusSerial.default>;
    let token: string;
    let jitter: NodeJS.Timeout | undefined;
    let watts = 1000;

    beforeAll(async () => {
      if (PEERS_REQUIRED) assertPeers(peers);
      [node, server] = await Promise.all([startSecureNode(), startPymodbus([1])]);
      const password = node.identities.add("pdu-bridge", "bridge", "pdu-*");
      token = node.identities.createToken("tel-viewer", "viewer", "*").token;
      meter = new modbusSerial.default();
      await meter.connectTCP("127.0.0.1", { port: server.port });
      meter.setID(1);
      meter.setTimeout(1000);
      const config = parseBridgeConfig(
        [
          `node: { url: '${node.mqttUrl}', username: pdu-bridge }`,
          `defaults: { pollInterval: ${POLL_MS}ms, timeout: 500ms, summaryInterval: ${SUMMARY_MS}ms }`,
          "devices:",
          `  - { thing: pdu-t, driver: modbus, address: '127.0.0.1:${server.port}', profile: generic-modbus-pdu }`,
        ].join("\n"),
        "/tmp/bridge-telemetry-test.yaml",
        { UMBRA_BRIDGE_PASSWORD: password },
      );
      bridge = await startBridge(config, {
        runner: { verifyDelaysMs: [0, 50, 200] },
        device: { reconnect: { initialMs: 20, maxMs: 200 }, requestTimeoutMs: 3000 },
      });
      // The meter moves by a watt every 50 ms: every poll reads a new value.
      const step = async () => {
        watts += 1;
        await meter.writeRegisters(2, f32Words(watts)).catch(() => undefined);
        jitter = setTimeout(step, 50);
      };
      await step();
    });

    afterAll(async () => {
      clearTimeout(jitter);
      await bridge?.close();
      meter?.close(() => undefined);
      await server?.kill();
      await node?.stop();
    });

    async function api(path: string): Promise<JsonObject> {
      const res = await fetch(`${node.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as JsonObject;
    }

    const powerPoints = async () => {
      const body = await api("/things/pdu-t/telemetry?metric=input/power&step=raw&from=-10m");
      const series = body.series as { metric: string; points: [number, number][] }[];
      return series[0]?.points ?? [];
    };

    it("GET /things/{thing}/telemetry holds every poll's watts; reported changed only at the summary rate", async () => {
      const first = await until("first report", async () => {
        const s = await shadowOf(node, "pdu-t").catch(() => undefined);
        return (s?.reported?.input as JsonObject | undefined)?.power !== undefined ? s : undefined;
      });
      const t0 = Date.now();
      const before = await powerPoints();
      // Wait for 20 more polls stored (generous bound for a loaded machine).
      const points = await until(
        "20 more telemetry points",
        async () => {
          const p = await powerPoints();
          return p.length >= before.length + 20 ? p : undefined;
        },
        60_000,
        200,
      );
      const after = await shadowOf(node, "pdu-t");
      const elapsed = Date.now() - t0;
      const changes = after.version - first.version;
      const fresh = points.slice(before.length);
      // Each poll read another value: the series is not one repeated number.
      expect(new Set(fresh.map(([, v]) => v)).size).toBeGreaterThanOrEqual(10);
      expect(fresh.every(([ts], i) => i === 0 || ts > (fresh[i - 1] as [number, number])[0])).toBe(true);
      // At most one summary per interval (plus one that may straddle the window's start); without
      // kind: measurement every one of those 20+ polls would have been a change.
      expect(changes).toBeLessThanOrEqual(Math.floor(elapsed / SUMMARY_MS) + 1);
      expect(changes).toBeLessThan(fresh.length / 2);
      // The summary is a value the meter had: one of the telemetry points.
      const summarised = (after.reported?.input as JsonObject | undefined)?.power as number;
      expect(points.map(([, v]) => v)).toContain(summarised);
      // Every other measurement is a series too; state points are not.
      const latest = (await api("/things/pdu-t/telemetry/latest")).metrics as JsonObject;
      expect(Object.keys(latest).sort()).toEqual([
        "input/current",
        "input/energy",
        "input/frequency",
        "input/power",
        "input/voltage",
        "temperature",
      ]);
      expect(latest["input/voltage"]).toMatchObject({ value: 230.4 });
      process.stderr.write(
        `bridge-modbus-telemetry: ${fresh.length} telemetry points, ${changes} shadow changes in ${elapsed} ms ` +
          `(poll ${POLL_MS} ms, summary ${SUMMARY_MS} ms)\n`,
      );
    }, 90_000);

    it("`umbra telemetry <thing>` shows the bridged measurements (it said 'No telemetry' before)", async () => {
      const out = await runUmbra(["telemetry", "pdu-t", "--url", node.httpUrl, "--token", token], {
        timeoutMs: 30_000,
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      for (const metric of ["input/power", "input/voltage", "temperature"])
        expect(out.stdout).toContain(metric);
      expect(out.stdout).not.toMatch(/outlets/);
    });

    it("state still goes to reported at once: an outlet switched at the device shows within a few polls", async () => {
      await meter.writeCoil(5, false);
      const s = await until(
        "outlet 6 off in reported",
        async () => {
          const sh = await shadowOf(node, "pdu-t");
          return (sh.reported?.outlets as JsonObject | undefined)?.[6] === "off" ? sh : undefined;
        },
        SUMMARY_MS * 5,
        20,
      );
      expect((s.reported?.outlets as JsonObject | undefined)?.[6]).toBe("off");
    });
  },
);
