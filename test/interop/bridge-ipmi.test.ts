import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBridge } from "../../firmware-bridge/bridge.ts";
import { createIpmiDriver } from "../../firmware-bridge/drivers/ipmi.ts";
import { type DeviceSpec, type Driver, DriverError, type PointSpec } from "../../firmware-bridge/types.ts";
import {
  FRU_PRODUCT,
  freeUdpPort,
  IPMI_SIM_BIN,
  IPMITOOL_BIN,
  type IpmiSim,
  startIpmiSim,
} from "../helpers/ipmi-sim.ts";
import { assertPeers, checkPeers, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import { startTestNode } from "../helpers/node.ts";
import { httpShadow, type Json } from "../helpers/shadow-http.ts";

/**
 * The IPMI driver (Debian's ipmitool) against a real BMC simulator, OpenIPMI's ipmi_sim: power status,
 * off and on through the driver over IPMI 2.0 (lanplus) and 1.5 (lan), sensor readings, a wrong
 * password (refused), a BMC that does not answer (unreachable), and power off/on through desired state
 * on a node with the shipped `ipmi-chassis` profile.
 */

const POWER: PointSpec = { path: "power", writable: true, address: { command: "power" } };
const CPU: PointSpec = { path: "cpuTemp", unit: "°C", address: { sensor: "CPU Temp" } };
const TEMPS: PointSpec = { path: "temperatures.{index}", address: { sdr: "Temperature" } };

const sdrCacheFiles = () => readdirSync(tmpdir()).filter((f) => /^umbra-ipmi-[0-9a-f]+\.sdr$/.test(f));

const peer = checkPeers([IPMI_SIM_BIN, IPMITOOL_BIN]);
let sim: IpmiSim;
const open: Driver[] = [];

function driver(options: Record<string, unknown> = {}, port = sim.port, timeoutMs = 3000): Driver {
  const device: DeviceSpec = {
    thing: "bmc-1",
    driver: "ipmi",
    address: `127.0.0.1:${port}`,
    // ipmi_sim implements RMCP+ cipher suite 3 (HMAC-SHA1/AES), not ipmitool 1.8.19's default 17.
    options: { username: sim.username, password: sim.password, cipherSuite: 3, ...options },
    pollMs: 1000,
    timeoutMs,
  };
  const d = createIpmiDriver(device);
  open.push(d);
  return d;
}

/** Reads the CPU sensor until it shows `want` (bounded), returning the last value. */
async function temperature(d: Driver, want: number): Promise<unknown> {
  let temp: unknown;
  for (let i = 0; i < 30 && temp !== want; i++) {
    temp = (await d.read([CPU]))[0]?.value;
    if (temp !== want) await new Promise((r) => setTimeout(r, 100));
  }
  return temp;
}

async function failure(p: Promise<unknown>): Promise<DriverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

describe.runIf(shouldRunPeerSuite("ipmi_sim + ipmitool", peer))("IPMI driver against ipmi_sim", () => {
  beforeAll(async () => {
    assertPeers(peer);
    sim = await startIpmiSim();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
    sim.setPower(true);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("reads power status and sensors, and switches power off and on (lanplus)", async () => {
    const d = driver();
    expect(await d.read([POWER, CPU, TEMPS])).toEqual([
      { path: "power", value: "on" },
      { path: "temperatures.CPU_Temp", value: 42 },
      { path: "cpuTemp", value: 42 },
    ]);
    await d.write(POWER, "power", "off");
    expect(sim.power()).toBe("off");
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "off" }]);
    await d.write(POWER, "power", "on");
    expect(sim.power()).toBe("on");
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "on" }]);
    // Sensors were read through a dumped SDR cache (ipmitool -S), removed on close.
    expect(sdrCacheFiles()).toHaveLength(1);
    await d.close();
    expect(sdrCacheFiles()).toHaveLength(0);
  });

  it("identifies the BMC from its FRU inventory (ipmitool fru print 0)", async () => {
    expect(await driver().identify?.()).toEqual({
      vendor: FRU_PRODUCT.manufacturer,
      model: FRU_PRODUCT.name,
      serial: FRU_PRODUCT.serial,
    });
  });

  it("follows the BMC: a power change made elsewhere and a new sensor value are read", async () => {
    const d = driver({ interface: "lan" }); // IPMI 1.5 this time
    sim.setPower(false);
    sim.setTemperature(57);
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "off" }]);
    expect(await temperature(d, 57)).toBe(57);
    sim.setTemperature(42);
    // ipmi_sim polls the value file every 200 ms: wait for it, so later tests see 42.
    expect(await temperature(d, 42)).toBe(42);
  });

  it("refuses bad writes and unknown sensors with a clear error", async () => {
    const d = driver();
    const bad = await failure(d.write(POWER, "power", "explode"));
    expect(bad.kind).toBe("refused");
    expect(bad.message).toMatch(/one of on, off, cycle, reset, soft/);
    const missing = await failure(d.read([POWER, CPU, { path: "x", address: { sensor: "No Such Sensor" } }]));
    expect(missing.kind).toBe("refused");
    expect(missing.message).toMatch(/No Such Sensor.*not found/);
    // Only the unknown sensor fails: the power state and the sensor that exists are still read.
    expect(missing.readings).toEqual([
      { path: "power", value: "on" },
      { path: "cpuTemp", value: 42 },
    ]);
    const type = await failure(d.read([{ path: "t.{index}", address: { sdr: "Bogus" } }, TEMPS]));
    expect(type.message).toMatch(/unknown SDR sensor type "Bogus"/);
    expect(type.readings).toEqual([{ path: "temperatures.CPU_Temp", value: 42 }]);
  });

  it("reports a wrong password as refused without echoing it", async () => {
    const err = await failure(driver({ password: "not-the-password" }).read([POWER]));
    expect(err.kind).toBe("refused");
    expect(err.message).toMatch(/authentication failed/);
    expect(err.message).not.toContain("not-the-password");
  });

  it("reports a BMC that does not answer as unreachable, within the timeout", async () => {
    const silentPort = await freeUdpPort(); // bound and released: nothing answers there
    const started = Date.now();
    const err = await failure(driver({}, silentPort, 2000).read([POWER]));
    expect(err.kind).toBe("unreachable");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("switches power off and on through desired state on a node (ipmi-chassis profile)", async () => {
    const node = await startTestNode();
    const bridge = await startBridge(
      {
        source: "test",
        baseDir: process.cwd(),
        node: {
          url: node.mqttUrl,
          username: "bridge-1",
          password: node.identities.add("bridge-1", "bridge", "bmc-*"),
        },
        fullReportMs: 60_000,
        backoffMaxMs: 1000,
        devices: [
          {
            profile: "ipmi-chassis",
            spec: {
              thing: "bmc-1",
              driver: "ipmi",
              address: `127.0.0.1:${sim.port}`,
              options: { username: sim.username, password: sim.password, cipherSuite: 3 },
              pollMs: 300,
              timeoutMs: 3000,
            },
          },
        ],
      },
      { runner: { verifyDelaysMs: [0, 200, 500] } },
    );
    const reported = async (): Promise<Json> => {
      const res = await httpShadow(node.httpUrl, "bmc-1", { op: "get" });
      return ((res.body.state ?? {}) as { reported?: Json }).reported ?? {};
    };
    const until = async (power: string): Promise<Json> => {
      let r = await reported();
      for (let i = 0; i < 80 && r.power !== power; i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await reported();
      }
      return r;
    };
    const desire = (power: string) =>
      httpShadow(node.httpUrl, "bmc-1", {
        op: "update",
        body: JSON.stringify({ state: { desired: { power } } }),
      });
    try {
      const first = await until("on");
      expect(first.power).toBe("on");
      expect(first.temperatures).toEqual({ CPU_Temp: 42 });
      // The thing's inventory: type from the profile, the rest from the BMC's FRU.
      let attributes: Json | undefined;
      for (let i = 0; i < 80 && attributes?.serial === undefined; i++) {
        const res = await fetch(`${node.httpUrl}/things/bmc-1/attributes`);
        attributes = res.status === 200 ? ((await res.json()) as { attributes: Json }).attributes : undefined;
        if (attributes?.serial === undefined) await new Promise((res) => setTimeout(res, 100));
      }
      expect(attributes).toEqual({
        type: "bmc",
        vendor: FRU_PRODUCT.manufacturer,
        model: FRU_PRODUCT.name,
        serial: FRU_PRODUCT.serial,
      });
      expect((await desire("off")).code).toBe(200);
      expect((await until("off")).power).toBe("off");
      expect(sim.power()).toBe("off");
      expect((await desire("on")).code).toBe(200);
      expect((await until("on")).power).toBe("on");
      expect(sim.power()).toBe("on");
      // A one-shot command: the chassis is cycled once, reads back on, and `cycle` leaves desired.
      const before = sim.controlLog().length;
      expect((await desire("cycle")).code).toBe(200);
      let doc = await httpShadow(node.httpUrl, "bmc-1", { op: "get" });
      for (let i = 0; i < 80 && (doc.body.state as { desired?: Json }).desired?.power !== undefined; i++) {
        await new Promise((res) => setTimeout(res, 100));
        doc = await httpShadow(node.httpUrl, "bmc-1", { op: "get" });
      }
      const state = doc.body.state as { desired?: Json; reported?: Json; delta?: Json };
      expect(state.desired?.power).toBeUndefined();
      expect(state.delta?.power).toBeUndefined();
      // Cycled exactly once: off, then on again (ipmi_sim powers back on after its cycle delay).
      for (let i = 0; i < 100 && !sim.controlLog().slice(before).includes("power 1"); i++)
        await new Promise((res) => setTimeout(res, 100));
      const cycle = sim.controlLog().slice(before);
      expect(cycle).toContain("power 1");
      expect(cycle.filter((l) => l === "power 0")).toHaveLength(1);
      expect(sim.power()).toBe("on");
    } finally {
      await bridge.close();
      await node.stop();
    }
  });
});
