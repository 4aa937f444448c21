import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBridge } from "../../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { createSnmpDriver } from "../../firmware-bridge/drivers/snmp.ts";
import { loadProfile } from "../../firmware-bridge/profile.ts";
import type { DeviceSpec, Driver, PointSpec, Reading } from "../../firmware-bridge/types.ts";
import { DriverError } from "../../firmware-bridge/types.ts";
import { setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { assertPeers, checkPeers, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import {
  freeUdpPort,
  SNMPD_BIN,
  SNMPD_COMMUNITY,
  SNMPD_LOCATION,
  SNMPD_SYSNAME,
  SNMPD_USERS,
  SNMPSIMD_BIN,
  type SnmpAgent,
  startSnmpd,
  startSnmpsim,
} from "../helpers/snmp-agents.ts";
import {
  apcPduSnmprec,
  BIG_OCTETS,
  PDU_OUTLETS,
  SWITCH_PORTS,
  switchSnmprec,
} from "../helpers/snmp-devices.ts";

/**
 * The SNMP driver against real agents: Debian's snmpd (v2c, USM users with SHA/AES, MD5/DES and
 * authNoPriv, the host's own IF-MIB) and snmpsimd serving a switch and an APC PDU (the shipped profiles,
 * with writecache cells so SETs stick). Covers batched GETs, table walks, SET with the object's type and
 * read-back, Counter64 beyond 2^53, the error kinds: refused (wrong key, unknown user, notWritable,
 * missing OID) vs unreachable (no agent, or an agent that stays silent), a v3 agent restart, and one
 * APC PDU end to end through a node (desired outlet off → SET → reported off).
 */

const peers = checkPeers([SNMPD_BIN, SNMPSIMD_BIN]);
const run = shouldRunPeerSuite("bridge-snmp", peers);

const SYS_NAME: PointSpec = { path: "sysName", address: { oid: "1.3.6.1.2.1.1.5.0" } };
const SYS_LOCATION: PointSpec = { path: "location", address: { oid: ".1.3.6.1.2.1.1.6.0" } };
const SYS_CONTACT: PointSpec = {
  path: "contact",
  type: "string",
  writable: true,
  address: { oid: "1.3.6.1.2.1.1.4.0" },
};
const IF_DESCR: PointSpec = { path: "ifs.{index}.descr", address: { table: "1.3.6.1.2.1.2.2.1", column: 2 } };
const IF_HC_IN: PointSpec = { path: "ifs.{index}.in", address: { table: "1.3.6.1.2.1.31.1.1.1", column: 6 } };

let snmpd: SnmpAgent;
let sim: SnmpAgent;
const open: Driver[] = [];

function driver(address: string, options: Record<string, unknown>, timeoutMs = 1500): Driver {
  const device: DeviceSpec = {
    thing: "snmp-test",
    driver: "snmp",
    address,
    options,
    pollMs: 1000,
    timeoutMs,
  };
  const d = createSnmpDriver(device);
  open.push(d);
  return d;
}

const v3 = (u: (typeof SNMPD_USERS)[keyof typeof SNMPD_USERS], extra: Record<string, unknown> = {}) => ({
  version: "3",
  ...u,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<DriverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

const byPath = (readings: Reading[]) => Object.fromEntries(readings.map((r) => [r.path, r.value]));

beforeAll(async () => {
  if (!run) return;
  assertPeers(peers); // CI set and a peer missing: fail here rather than skip
  [snmpd, sim] = await Promise.all([
    startSnmpd(),
    startSnmpsim({ switch: switchSnmprec(), "apc-pdu": apcPduSnmprec(), "apc-pdu-e2e": apcPduSnmprec() }),
  ]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});
afterAll(async () => {
  await Promise.all([snmpd?.stop(), sim?.stop()]);
});

describe.runIf(run)("SNMP driver against snmpd", () => {
  it("v2c: batched scalar GET and a walk of the host's own ifTable, with Counter64 as numbers", async () => {
    const d = driver(snmpd.address, { community: SNMPD_COMMUNITY });
    const readings = byPath(await d.read([SYS_NAME, SYS_LOCATION, IF_DESCR, IF_HC_IN]));
    expect(readings.sysName).toBe(SNMPD_SYSNAME);
    expect(readings.location).toBe(SNMPD_LOCATION);
    // Interface 1 is the loopback on Linux; its HC counter is a Counter64 decoded to a plain number.
    expect(readings["ifs.1.descr"]).toBe("lo");
    expect(typeof readings["ifs.1.in"]).toBe("number");
  });

  it("v3 authPriv (SHA/AES and MD5/DES) and authNoPriv GETs", async () => {
    for (const user of [SNMPD_USERS.admin, SNMPD_USERS.legacy, SNMPD_USERS.authOnly]) {
      const d = driver(snmpd.address, v3(user));
      expect(await d.read([SYS_NAME])).toEqual([{ path: "sysName", value: SNMPD_SYSNAME }]);
    }
  });

  it("v3 with a wrong authKey or an unknown user is refused (the agent answers), not unreachable", async () => {
    const wrongKey = await failure(
      driver(snmpd.address, v3(SNMPD_USERS.admin, { authKey: "not-the-key" })).read([SYS_NAME]),
    );
    expect(wrongKey.kind).toBe("refused");
    expect(wrongKey.message).toMatch(/authentication failed.*Wrong Digest/i);
    expect(wrongKey.message).not.toContain("not-the-key");
    const unknown = await failure(
      driver(snmpd.address, v3(SNMPD_USERS.admin, { user: "mallory" })).read([SYS_NAME]),
    );
    expect(unknown.kind).toBe("refused");
    expect(unknown.message).toMatch(/Unknown User Name/i);
  });

  it("SET with the object's type reads back; a config-pinned object is notWritable → refused", async () => {
    const d = driver(snmpd.address, v3(SNMPD_USERS.admin));
    const contact = `ops+${Date.now()}@example.net`;
    await d.write(SYS_CONTACT, "contact", contact); // never read before: the driver GETs the type first
    expect(await d.read([SYS_CONTACT])).toEqual([{ path: "contact", value: contact }]);
    const pinned = await failure(d.write({ ...SYS_LOCATION, writable: true }, "location", "elsewhere"));
    expect(pinned.kind).toBe("refused");
    expect(pinned.message).toMatch(/NotWritable/);
    // A read-only user gets an access error from the agent, also refused.
    const ro = await failure(
      driver(snmpd.address, v3(SNMPD_USERS.legacy)).write(SYS_CONTACT, "contact", "x"),
    );
    expect(ro.kind).toBe("refused");
  });

  it("a missing OID is refused with the point named; optional: true skips it", async () => {
    const d = driver(snmpd.address, { community: SNMPD_COMMUNITY });
    const ghost: PointSpec = { path: "ghost", address: { oid: "1.3.6.1.4.1.99999.1.0" } };
    const err = await failure(d.read([SYS_NAME, ghost, IF_DESCR]));
    expect(err.kind).toBe("refused");
    expect(err.message).toContain("ghost (1.3.6.1.4.1.99999.1.0)");
    // The points that answered still count (one missing object must not blank the whole device).
    const partial = byPath(err.readings ?? []);
    expect(partial.sysName).toBe(SNMPD_SYSNAME);
    expect(partial["ifs.1.descr"]).toBe("lo");
    const optional = { ...ghost, address: { ...ghost.address, optional: true } };
    expect(await d.read([SYS_NAME, optional])).toEqual([{ path: "sysName", value: SNMPD_SYSNAME }]);
  });

  it("no agent on the port → unreachable within the timeout (v2c and v3)", async () => {
    const deadPort = await freeUdpPort();
    for (const options of [{ community: "public" }, v3(SNMPD_USERS.admin)]) {
      const started = Date.now();
      const err = await failure(driver(`127.0.0.1:${deadPort}`, options, 400).read([SYS_NAME]));
      const elapsed = Date.now() - started;
      expect(err.kind).toBe("unreachable");
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(1200);
    }
  });

  it("v3: an agent restarted between polls (new engine) costs no failed poll; a stopped one is unreachable", async () => {
    const own = await startSnmpd();
    let restarted: SnmpAgent | undefined;
    try {
      const d = driver(own.address, v3(SNMPD_USERS.admin), 600);
      expect(await d.read([SYS_NAME])).toEqual([{ path: "sysName", value: SNMPD_SYSNAME }]);
      await own.stop();
      restarted = await startSnmpd(8000, own.port);
      expect(await d.read([SYS_NAME])).toEqual([{ path: "sysName", value: SNMPD_SYSNAME }]);
      await restarted.stop();
      expect((await failure(d.read([SYS_NAME]))).kind).toBe("unreachable");
      restarted = await startSnmpd(8000, own.port);
      expect(await d.read([SYS_NAME])).toEqual([{ path: "sysName", value: SNMPD_SYSNAME }]);
    } finally {
      await Promise.all([own.stop(), restarted?.stop()]);
    }
  });

  it("a wrong v2c community or v3 privKey looks like no agent: snmpd stays silent (documented)", async () => {
    const wrongCommunity = await failure(driver(snmpd.address, { community: "guess" }, 400).read([SYS_NAME]));
    expect(wrongCommunity.kind).toBe("unreachable");
    expect(wrongCommunity.message).not.toContain("guess");
    const wrongPriv = await failure(
      driver(snmpd.address, v3(SNMPD_USERS.admin, { privKey: "not-the-priv-key" }), 400).read([SYS_NAME]),
    );
    expect(wrongPriv.kind).toBe("unreachable");
  });
});

describe.runIf(run)("SNMP driver against snmpsim (shipped profiles)", () => {
  it("switch-if-mib: walks the port tables, one reading per ifIndex, Counter64 beyond 2^53 as bigint", async () => {
    const profile = loadProfile("switch-if-mib");
    const d = driver(sim.address, { community: "switch" });
    const readings = byPath(await d.read(profile.points));
    expect(readings.sysName).toBe("sw-r12");
    for (const p of SWITCH_PORTS) {
      expect(readings[`ports.${p.index}.name`]).toBe(p.name);
      expect(readings[`ports.${p.index}.admin`]).toBe(p.admin);
      expect(readings[`ports.${p.index}.oper`]).toBe(p.oper);
      expect(readings[`ports.${p.index}.speedMbps`]).toBe(p.speed);
      expect(BigInt(readings[`ports.${p.index}.inOctets`] as number | bigint)).toBe(p.inOctets);
    }
    expect(readings["ports.2.inOctets"]).toBe(BIG_OCTETS);
    expect(readings["ports.1.inOctets"]).toBe(123_456_789);
  });

  it("switch-if-mib: SET ifAdminStatus down and ifAlias, read back", async () => {
    const points = loadProfile("switch-if-mib").points;
    const admin = points.find((p) => p.path === "ports.{index}.admin")!;
    const alias = points.find((p) => p.path === "ports.{index}.alias")!;
    const d = driver(sim.address, { community: "switch" });
    await d.write(admin, "ports.2.admin", 2);
    await d.write(alias, "ports.2.alias", "web-01 (drained)");
    const readings = byPath(await d.read([admin, alias]));
    expect(readings["ports.2.admin"]).toBe(2);
    expect(readings["ports.2.alias"]).toBe("web-01 (drained)");
    expect(readings["ports.1.admin"]).toBe(1);
    await d.write(admin, "ports.2.admin", 1);
    expect(byPath(await d.read([admin]))["ports.2.admin"]).toBe(1);
    // A path that is no row of the point is refused before anything is sent.
    expect((await failure(d.write(admin, "ports.x.admin", 2))).kind).toBe("refused");
  });

  it("apc-pdu-snmp: reads identity, load and outlets; outlet command off reads back off", async () => {
    const profile = loadProfile("apc-pdu-snmp");
    const power = profile.points.find((p) => p.path === "outlets.{index}.power")!;
    const d = driver(sim.address, { community: "apc-pdu", version: "2c" });
    const before = byPath(await d.read(profile.points));
    expect(before).toMatchObject({
      name: "RackPDU",
      model: "AP7920B",
      powerWatts: 412,
      "load.1.current": 46,
      "load.1.state": 1,
    });
    for (const o of PDU_OUTLETS) {
      expect(before[`outlets.${o.index}.power`]).toBe(o.state);
      expect(before[`outlets.${o.index}.name`]).toBe(o.name);
      expect(before[`outlets.${o.index}.current`]).toBe(o.load);
    }
    await d.write(power, "outlets.3.power", 2); // immediateOff
    expect(byPath(await d.read([power]))["outlets.3.power"]).toBe(2);
    await d.write(power, "outlets.3.power", 1); // immediateOn
    expect(byPath(await d.read([power]))["outlets.3.power"]).toBe(1);
  });

  it("a SET the agent rejects (read-only cell) is refused; a value that does not fit the type never leaves", async () => {
    const d = driver(sim.address, { community: "switch" });
    const oper: PointSpec = {
      path: "ports.{index}.oper",
      writable: true,
      address: { table: "1.3.6.1.2.1.2.2.1", column: 8 },
    };
    await d.read([oper]); // learns INTEGER
    expect((await failure(d.write(oper, "ports.1.oper", 2))).kind).toBe("refused");
    const tooBig = await failure(d.write(oper, "ports.1.oper", 2 ** 40));
    expect(tooBig.kind).toBe("refused");
    expect(tooBig.message).toMatch(/does not fit Integer/);
  });
});

describe.runIf(run)("SNMP device through a node (startBridge)", () => {
  it("desired outlet off on the APC PDU thing → SET → reported off (and back on)", async () => {
    const node = await startSecureNode();
    const password = node.identities.add("bridge-snmp", "bridge", "*");
    const yaml = [
      "node:",
      `  url: ${node.mqttUrl}`,
      "  username: bridge-snmp",
      "defaults: { pollInterval: 200ms, timeout: 1s }",
      "devices:",
      "  - thing: pdu-r12",
      "    driver: snmp",
      `    address: ${sim.address}`,
      "    profile: apc-pdu-snmp",
      "    options: { version: 2c, community: { env: PDU_COMMUNITY } }",
      "",
    ].join("\n");
    const config = parseBridgeConfig(yaml, "bridge-snmp.yaml", {
      UMBRA_BRIDGE_PASSWORD: password,
      PDU_COMMUNITY: "apc-pdu-e2e",
    });
    const bridge = await startBridge(config, { runner: { verifyDelaysMs: [0, 100, 300] } });
    try {
      const outlet = async (n: number) => {
        // The shadow only exists once the bridge's first report has landed.
        const shadow = await shadowOf(node, "pdu-r12").catch(() => undefined);
        const reported = shadow?.reported as
          | { outlets?: Record<string, { power?: string; name?: string }> }
          | undefined;
        return reported?.outlets?.[n];
      };
      expect(await until("first report", () => outlet(1), 8000)).toMatchObject({
        power: "on",
        name: "web-01 PSU1",
      });
      expect((await shadowOf(node, "pdu-r12")).reported).toMatchObject({ model: "AP7920B", powerWatts: 412 });
      expect((await shadowOf(node, "pdu-r12")).reported).toMatchObject({
        load: { "1": { current: 4.6, state: "normal" } },
      });
      // The profile's measurements (scalar and table columns) are telemetry too; state is not.
      const token = node.identities.createToken("snmp-viewer", "viewer", "*").token;
      const metrics = await until(
        "telemetry of pdu-r12",
        async () => {
          const res = await fetch(`${node.httpUrl}/things/pdu-r12/telemetry/latest`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const m = ((await res.json()) as { metrics: Record<string, { value: number }> }).metrics;
          return m["outlets/1/current"] ? m : undefined;
        },
        8000,
      );
      expect(metrics).toMatchObject({ powerWatts: { value: 412 }, "load/1/current": { value: 4.6 } });
      expect(Object.keys(metrics).filter((k) => /state|power$|name/.test(k))).toEqual([]);

      await setDesired(node, "pdu-r12", { outlets: { "1": { power: "off" } } });
      await until("outlet 1 reported off", async () => (await outlet(1))?.power === "off", 8000);
      await until("delta cleared", async () => (await shadowOf(node, "pdu-r12")).delta === undefined, 8000);

      await setDesired(node, "pdu-r12", { outlets: { "1": { power: "on" } } });
      await until("outlet 1 reported on", async () => (await outlet(1))?.power === "on", 8000);
    } finally {
      await bridge.close();
      await node.stop();
    }
  });
});
