import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { registerBridgeCommand } from "../../broker/cli/bridge-command.ts";
import { prepareDevices } from "../../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { loadProfile, PROFILES_DIR, ProfileError, parseProfileText } from "../../firmware-bridge/profile.ts";

const dir = mkdtempSync(join(tmpdir(), "umbra-bridge-profile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profileError = (text: string, file = "pdu.yaml") => {
  try {
    parseProfileText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as Error).message;
  }
  throw new Error("profile was accepted");
};

describe("profiles", () => {
  it("ships valid profiles whose Modbus addresses check out", () => {
    const pdu = loadProfile("generic-modbus-pdu");
    expect(pdu.driver).toBe("modbus");
    expect(pdu.points.filter((p) => p.writable).map((p) => p.path)).toContain("outlets.8");
    const ups = loadProfile("apc-ups-modbus");
    // The published map: runtime at 128 (uint32), state of charge at 130 with binary point 9.
    const charge = ups.points.find((p) => p.path === "battery.charge");
    expect(charge?.address).toEqual({ table: "holding", address: 130 });
    expect(charge?.scale).toBe(1 / 512);
    expect(ups.points.find((p) => p.path === "battery.runtime")?.address).toEqual({
      table: "holding",
      address: 128,
    });
  });

  it("names the file and the JSON path of each mistake", () => {
    const msg = profileError(
      [
        "name: p",
        "driver: modbus",
        "points:",
        "  - { path: a, type: int17, address: { table: coil, address: 0 } }",
        "  - { path: b, scal: 2, address: {} }",
        "  - { path: '$x', address: {} }",
      ].join("\n"),
    );
    expect(msg).toMatch(/^pdu.yaml: invalid profile:/);
    expect(msg).toMatch(/\/points\/0\/type: must be one of bool, int16, uint16/);
    expect(msg).toMatch(/\/points\/1: unknown key 'scal'/);
    expect(msg).toMatch(/\/points\/2\/path: must be a dotted path/);
  });

  it("refuses a missing driver, duplicate paths, a zero scale and scale on strings", () => {
    expect(profileError("name: p\npoints: [{path: a, address: {}}]")).toMatch(
      /\/: missing|required property 'driver'/,
    );
    expect(
      profileError("name: p\ndriver: modbus\npoints: [{path: a, address: {}}, {path: a, address: {}}]"),
    ).toMatch(/\/points\/1\/path: 'a' appears twice/);
    expect(profileError("name: p\ndriver: modbus\npoints: [{path: a, scale: 0, address: {}}]")).toMatch(
      /\/points\/0\/scale/,
    );
    expect(
      profileError("name: p\ndriver: modbus\npoints: [{path: a, type: string, scale: 2, address: {}}]"),
    ).toMatch(/scale\/offset apply to numbers/);
    // Desired values are converted by the type: without one (or an enum) a coil would refuse `true`.
    expect(
      profileError(
        "name: p\ndriver: modbus\npoints: [{path: o, writable: true, address: {table: coil, address: 0}}]",
      ),
    ).toMatch(/\/points\/0: a writable point needs a type or an enum/);
  });

  it("reads JSON profiles and reports broken syntax with the file", () => {
    const p = parseProfileText(
      '{"name":"j","driver":"snmp","points":[{"path":"a","address":{"oid":"1.3"}}]}',
      "j.json",
    );
    expect(p.driver).toBe("snmp");
    expect(profileError("{ not json", "broken.json")).toMatch(/^broken.json: not valid JSON/);
    expect(() => loadProfile("no-such-profile")).toThrow(/no shipped profile of that name/);
  });
});

describe("bridge.yaml", () => {
  const config = (body: string, env: NodeJS.ProcessEnv = {}) =>
    parseBridgeConfig(body, join(dir, "bridge.yaml"), env);
  const base = "node: { url: 'mqtt://127.0.0.1:1883', username: pdu-bridge }\n";

  it("applies defaults, durations and the password from the environment", () => {
    const c = config(
      `${base}defaults: { pollInterval: 2s, timeout: 500ms }\ndevices:\n` +
        "  - { thing: pdu-1, driver: modbus, address: '10.0.0.5:502', profile: generic-modbus-pdu, options: { unitId: 3 } }\n" +
        "  - { thing: pdu-2, driver: modbus, address: '10.0.0.5', profile: generic-modbus-pdu, pollInterval: 10s }\n",
      { UMBRA_BRIDGE_PASSWORD: "s3cret" },
    );
    expect(c.node.password).toBe("s3cret");
    expect(
      c.devices.map((d) => [d.spec.thing, d.spec.pollMs, d.spec.timeoutMs, d.spec.options.unitId]),
    ).toEqual([
      ["pdu-1", 2000, 500, 3],
      ["pdu-2", 10000, 500, undefined],
    ]);
    expect(prepareDevices(c).map((p) => p.profile.name)).toEqual([
      "generic-modbus-pdu",
      "generic-modbus-pdu",
    ]);
  });

  it("takes secrets from files and env references, never from the file itself", () => {
    writeFileSync(join(dir, "pw"), "from-file\n");
    const c = config(
      "node: { url: 'mqtt://h', username: b, passwordFile: pw }\ndevices:\n" +
        "  - { thing: s1, driver: snmp, address: h, profile: x.yaml, options: { community: { env: COMMUNITY } } }\n",
      { COMMUNITY: "private" },
    );
    expect(c.node.password).toBe("from-file");
    expect(c.devices[0]?.spec.options.community).toBe("private");
    expect(c.devices[0]?.profile).toBe(join(dir, "x.yaml"));
    expect(() => config("node: { url: 'mqtt://h', username: b, password: hunter2 }\ndevices: []")).toThrow(
      /node\.password: unknown key \(put the password in passwordFile/,
    );
    expect(() =>
      config(
        `${base}devices:\n  - { thing: s1, driver: snmp, address: h, profile: p, options: { c: { env: NOPE } } }`,
      ),
    ).toThrow(/devices\[0\]\.options\.c: environment variable NOPE is not set/);
  });

  it("points at the mistake: bad duration, duplicate thing, unknown driver, wrong driver for the profile", () => {
    const dev = (extra: string) =>
      `${base}devices:\n  - { thing: pdu-1, address: h, profile: generic-modbus-pdu, ${extra} }\n`;
    expect(() => config(dev("driver: modbus, pollInterval: soon"))).toThrow(
      /devices\[0\]\.pollInterval: must be a duration/,
    );
    expect(() => config(dev("driver: zigbee"))).toThrow(
      /devices\[0\]\.driver: must be one of modbus, snmp, redfish, ipmi/,
    );
    expect(() =>
      config(`${dev("driver: modbus")}  - { thing: pdu-1, driver: modbus, address: h, profile: p }\n`),
    ).toThrow(/devices\[1\]\.thing: 'pdu-1' appears twice/);
    expect(() => prepareDevices(config(dev("driver: snmp")))).toThrow(
      /profile 'generic-modbus-pdu' is for the modbus driver/,
    );
  });

  it("checks each device's address and options before anything connects (what --check relies on)", () => {
    const one = (d: string) => () => prepareDevices(config(`${base}devices:\n  - { thing: d-1, ${d} }\n`));
    const modbus = "driver: modbus, profile: generic-modbus-pdu";
    expect(one(`${modbus}, address: 'h:99999'`)).toThrow(
      /modbus address 'h:99999': expected host or host:port/,
    );
    expect(one(`${modbus}, address: h, options: { unitId: 300 }`)).toThrow(
      /options.unitId must be an integer 0..255/,
    );
    expect(one(`${modbus}, address: h, options: { unitid: 3 }`)).toThrow(
      /d-1: unknown option 'unitid' \(allowed: unitId\)/,
    );
    expect(one("driver: snmp, profile: switch-if-mib, address: h, options: { comunity: x }")).toThrow(
      /unknown option "comunity"/,
    );
    expect(one("driver: redfish, profile: redfish-server, address: 'http://h'")).toThrow(/must use https/);
    expect(one("driver: redfish, profile: redfish-server, address: h, options: { pasword: x }")).toThrow(
      /d-1: unknown option 'pasword'/,
    );
    expect(one("driver: ipmi, profile: ipmi-chassis, address: h, options: { interface: lanpluss }")).toThrow(
      /option interface must be "lanplus" or "lan"/,
    );
    expect(one("driver: ipmi, profile: ipmi-chassis, address: h, options: { user: x }")).toThrow(
      /d-1: unknown option 'user'/,
    );
  });
});

describe("umbra bridge --help", () => {
  it("names every shipped profile and where the password comes from", () => {
    const program = new Command();
    registerBridgeCommand(program);
    let help = "";
    const bridge = program.commands.find((c) => c.name() === "bridge") as Command;
    bridge.configureOutput({ writeOut: (s) => (help += s) }).outputHelp();
    for (const file of readdirSync(PROFILES_DIR)) expect(help).toContain(file.replace(/\.ya?ml$/, ""));
    expect(help).toMatch(/--check[\s\S]*--once[\s\S]*UMBRA_BRIDGE_PASSWORD/);
  });
});
