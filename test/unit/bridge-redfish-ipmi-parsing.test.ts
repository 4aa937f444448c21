import { existsSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createIpmiDriver } from "../../firmware-bridge/drivers/ipmi.ts";
import {
  classifyFailure,
  parseIpmiAddress,
  parsePowerStatus,
  parseSdrRows,
  parseSensorReadings,
} from "../../firmware-bridge/drivers/ipmi-output.ts";
import { SdrCache } from "../../firmware-bridge/drivers/ipmi-sdr-cache.ts";
import { createRedfishDriver } from "../../firmware-bridge/drivers/redfish.ts";
import {
  getPointer,
  parseRedfishAddress,
  patchBody,
  resetTypeFor,
  resourcePath,
  tableRows,
} from "../../firmware-bridge/drivers/redfish-address.ts";
import { parseOrigin } from "../../firmware-bridge/drivers/redfish-http.ts";
import { DriverError, type PointSpec } from "../../firmware-bridge/types.ts";

/** The pure halves of the Redfish and IPMI drivers: addresses, JSON pointers, ipmitool output. */

const point = (path: string, address: Record<string, unknown>): PointSpec => ({ path, address });

describe("Redfish addresses", () => {
  it("resolves resource paths and RFC 6901 pointers", () => {
    expect(resourcePath("Systems/1")).toBe("/redfish/v1/Systems/1");
    expect(resourcePath("/redfish/v1/Chassis/1/")).toBe("/redfish/v1/Chassis/1");
    const doc = { a: [{ "b/c": 1, "d~e": 2 }], n: null };
    expect(getPointer(doc, "/a/0/b~1c")).toBe(1);
    expect(getPointer(doc, "/a/0/d~0e")).toBe(2);
    expect(getPointer(doc, "/a/1/x")).toBeUndefined();
    expect(getPointer(doc, "/n")).toBeNull();
  });

  it("expands table rows by key, sanitized for shadow paths", () => {
    const addr = parseRedfishAddress(
      point("t.{index}", { resource: "Chassis/1/Thermal", table: "/T", pointer: "/R", key: "/Name" }),
    );
    expect(tableRows({ T: [{ Name: "CPU1 Temp" }, {}] }, addr).map(([i]) => i)).toEqual(["CPU1_Temp", "1"]);
  });

  it("rejects bad addresses with the point named", () => {
    expect(() => parseRedfishAddress(point("p", { pointer: "/x" }))).toThrow(/point p: address.resource/);
    expect(() => parseRedfishAddress(point("p", { resource: "S/1", pointer: "x" }))).toThrow(
      /must start with "\/"/,
    );
    expect(() => parseRedfishAddress(point("p", { resource: "S/1", pointer: "/x", table: "/t" }))).toThrow(
      /needs \{index\}/,
    );
    expect(() => parseRedfishAddress(point("p", { resource: "S/1", pointer: "/x", write: "put" }))).toThrow(
      /"patch" or "reset"/,
    );
  });

  it("builds PATCH bodies and maps desired values to ResetType", () => {
    expect(patchBody("/Boot/BootSourceOverrideTarget", "Pxe")).toEqual({
      Boot: { BootSourceOverrideTarget: "Pxe" },
    });
    expect(() => patchBody("/Temperatures/0/Name", "x")).toThrow(/array element/);
    const addr = parseRedfishAddress(point("p", { resource: "S/1", pointer: "/PowerState", write: "reset" }));
    expect([resetTypeFor(addr, "On"), resetTypeFor(addr, "Off"), resetTypeFor(addr, "ForceRestart")]).toEqual(
      ["On", "ForceOff", "ForceRestart"],
    );
    expect(resetTypeFor({ ...addr, resetTypes: { Off: "GracefulShutdown" } }, "Off")).toBe(
      "GracefulShutdown",
    );
  });

  it("accepts host, host:port and https URLs only", () => {
    expect(parseOrigin("10.0.0.5").host).toBe("10.0.0.5");
    expect(parseOrigin("bmc.example:8443").port).toBe("8443");
    expect(() => parseOrigin("http://bmc")).toThrow(/must use https/);
  });
});

describe("ipmitool output", () => {
  it("parses power status, sensor readings and SDR rows", () => {
    expect(parsePowerStatus("Chassis Power is off\n")).toBe("off");
    expect(() => parsePowerStatus("garbage")).toThrow(/unexpected ipmitool power status/);
    const readings = parseSensorReadings("CPU Temp,42\nPS1, Input,230.5\nFan1,\nChassis Intru,0x0\n");
    expect([...readings]).toEqual([
      ["CPU Temp", 42],
      ["PS1, Input", 230.5],
      ["Fan1", undefined],
      ["Chassis Intru", "0x0"],
    ]);
    const sdr =
      "CPU Temp,42,degrees C,ok,3.1,Processor\nDIMM Temp,na,degrees C,ns\nPCH/Temp,-5,degrees C,ok\n";
    expect(parseSdrRows(sdr)).toEqual([
      ["CPU_Temp", 42],
      ["PCH_Temp", -5],
    ]);
  });

  it("tells authentication failures from silence", () => {
    const noise = "Loading IANA PEN Registry...\n";
    const auth = classifyFailure(
      "x",
      `${noise}> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n`,
      false,
    );
    expect(auth.kind).toBe("refused");
    expect(auth.message).toMatch(/authentication failed \(> RAKP 2 HMAC is invalid; Error: Unable/);
    const silent = classifyFailure(
      "x",
      `${noise}Get Auth Capabilities error\nError: Unable to establish\n`,
      false,
    );
    expect(silent.kind).toBe("unreachable");
    expect(classifyFailure("x", "", true).kind).toBe("unreachable");
    expect(classifyFailure("x", 'Sensor "Nope" not found!\n', false).kind).toBe("refused");
  });

  it("parses IPMI addresses", () => {
    expect(parseIpmiAddress(point("p", { command: "power" }))).toEqual({ kind: "power" });
    expect(parseIpmiAddress(point("t.{index}", { sdr: "Fan" }))).toEqual({ kind: "sdr", type: "Fan" });
    expect(() => parseIpmiAddress(point("t", { sdr: "Fan" }))).toThrow(/needs \{index\}/);
    expect(() => parseIpmiAddress(point("p", { oid: "1.3" }))).toThrow(/command: power, sensor/);
  });
});

describe("IPMI SDR cache", () => {
  it("dumps once, refreshes when old or invalidated, falls back when unsupported", async () => {
    const calls: string[][] = [];
    let now = 0;
    let fail: DriverError | undefined;
    const cache = new SdrCache(
      async (args) => {
        calls.push(args);
        if (fail) throw fail;
        return "";
      },
      1000,
      () => now,
    );
    const first = await cache.args();
    expect(first[0]).toBe("-S");
    expect(await cache.args()).toEqual(first);
    expect(calls).toHaveLength(1);
    now = 1001;
    await cache.args();
    cache.invalidate();
    await cache.args();
    expect(calls.map((c) => c.slice(0, 2))).toEqual([
      ["sdr", "dump"],
      ["sdr", "dump"],
      ["sdr", "dump"],
    ]);
    cache.invalidate();
    fail = new DriverError("unreachable", "no answer");
    await expect(cache.args()).rejects.toThrow(/no answer/);
    fail = new DriverError("refused", "Invalid command");
    expect(await cache.args()).toEqual([]);
    fail = undefined;
    expect(await cache.args()).toEqual([]); // stays uncached for this BMC
    cache.close();
  });

  it("shares one dump between callers while it runs (an abandoned poll must not start another)", async () => {
    let dumps = 0;
    let finish: () => void = () => undefined;
    let file = "";
    const cache = new SdrCache(async (args) => {
      dumps++;
      file = args[2] as string;
      await new Promise<void>((r) => {
        finish = r;
      });
      writeFileSync(file, "sdr");
      return "";
    });
    const a = cache.args();
    const b = cache.args();
    await new Promise((r) => setTimeout(r, 5));
    expect(dumps).toBe(1); // one ipmitool session at a time: BMCs allow only a few
    // Closed while the dump still runs: the file it writes afterwards must not be left behind.
    cache.close();
    finish();
    expect(await a).toEqual(["-S", file]);
    expect(await b).toEqual(["-S", file]);
    expect(existsSync(file)).toBe(false);
  });
});

describe("driver factories", () => {
  const spec = (driver: "ipmi" | "redfish", address: string, options: Record<string, unknown> = {}) => ({
    thing: "t-1",
    driver,
    address,
    options,
    pollMs: 1000,
    timeoutMs: 2000,
  });

  it("reject bad IPMI device entries at start-up", () => {
    expect(() => createIpmiDriver(spec("ipmi", "-oops"))).toThrow(/device t-1: IPMI address "-oops"/);
    expect(() => createIpmiDriver(spec("ipmi", "bmc:99999"))).toThrow(/host:port/);
    expect(() => createIpmiDriver(spec("ipmi", "bmc", { interface: "serial" }))).toThrow(
      /"lanplus" or "lan"/,
    );
    expect(() => createIpmiDriver(spec("ipmi", "bmc", { cipherSuite: 99 }))).toThrow(/cipherSuite/);
    expect(() => createIpmiDriver(spec("ipmi", "[fe80::1]:6230", { username: "u" }))).not.toThrow();
  });

  it("reject bad Redfish device entries at start-up", () => {
    expect(() => createRedfishDriver(spec("redfish", "http://bmc"))).toThrow(/must use https/);
    expect(() => createRedfishDriver(spec("redfish", "bmc", { insecure: "yes" }))).toThrow(
      /insecure must be/,
    );
    expect(() => createRedfishDriver(spec("redfish", "bmc", { ca: "/nonexistent/ca.pem" }))).toThrow(
      /cannot read CA file \/nonexistent\/ca.pem/,
    );
    expect(() => createRedfishDriver(spec("redfish", "bmc", { auth: "digest" }))).toThrow(
      /"session" or "basic"/,
    );
  });
});
