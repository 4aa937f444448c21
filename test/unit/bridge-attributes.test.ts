import { describe, expect, it } from "vitest";
import { AttributeFiller, bridgeAttributes } from "../../firmware-bridge/attributes.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { parseFru } from "../../firmware-bridge/drivers/ipmi-fru.ts";
import { identityFromReadings } from "../../firmware-bridge/drivers/snmp-identity.ts";
import { loadProfile, parseProfile } from "../../firmware-bridge/profile.ts";
import type { DeviceIdentity } from "../../firmware-bridge/types.ts";
import type { JsonObject } from "../../shared/json.ts";

describe("bridge attributes", () => {
  it("reads an SNMP identity: the ENTITY-MIB chassis, else the enterprise number's vendor", () => {
    expect(
      identityFromReadings([
        { path: "sysObjectID", value: "1.3.6.1.4.1.9.1.1745" },
        { path: "sysDescr", value: "Cisco IOS Software" },
        { path: "entity.2.class", value: 9 },
        { path: "entity.2.serial", value: "MOD" },
        { path: "entity.1.class", value: 3 },
        { path: "entity.1.serial", value: "FOC1234" },
        { path: "entity.1.model", value: "WS-C3850-48T" },
        { path: "entity.1.maker", value: "" },
      ]),
    ).toEqual({
      vendor: "Cisco",
      model: "WS-C3850-48T",
      serial: "FOC1234",
      labels: { "snmp.sysDescr": "Cisco IOS Software", "snmp.sysObjectID": "1.3.6.1.4.1.9.1.1745" },
    });
    expect(identityFromReadings([{ path: "sysObjectID", value: "1.3.6.1.4.1.99999.1" }])).toEqual({
      labels: { "snmp.sysObjectID": "1.3.6.1.4.1.99999.1" },
    });
  });

  it("parses ipmitool's FRU print: product, then board, then chassis; placeholders skipped", () => {
    const out = [
      "FRU Device Description : Builtin FRU Device (ID 0)",
      " Chassis Type          : Rack Mount Chassis",
      " Chassis Serial        : C123",
      " Board Mfg             : Supermicro",
      " Board Product         : X11DPi-N",
      " Board Serial          : To be filled by O.E.M.",
      " Product Manufacturer  : Supermicro",
      " Product Name          : SYS-6019P-WTR",
      " Product Serial        : 0",
    ].join("\n");
    expect(parseFru(out)).toEqual({ vendor: "Supermicro", model: "SYS-6019P-WTR", serial: "C123" });
    expect(parseFru("")).toEqual({});
  });

  it("layers profile < device identity < attributesFrom points < config", () => {
    const profile = loadProfile("apc-pdu-snmp");
    const identity: DeviceIdentity = { vendor: "Schneider", model: "ENT-MODEL", labels: { "snmp.x": "1" } };
    const mapped = new Map([["model", "AP7920B"]]);
    expect(
      bridgeAttributes(profile, identity, mapped, { vendor: "APC by Schneider", location: { rack: "7" } }),
    ).toEqual({
      type: "pdu",
      vendor: "APC by Schneider",
      model: "AP7920B",
      labels: { "snmp.x": "1" },
      location: { rack: "7" },
    });
  });

  it("states at start, re-identifies when the device starts answering, and follows mapped points", async () => {
    const stated: JsonObject[] = [];
    let identifies = 0;
    const filler = new AttributeFiller({
      thing: "pdu-1",
      profile: loadProfile("apc-pdu-snmp"),
      configured: { owner: "ops" },
      setAttributes: async (a) => {
        stated.push(a);
        return undefined;
      },
      identify: async () => {
        identifies++;
        return { serial: `S${identifies}` };
      },
      log: { info() {}, warn() {} },
    });
    filler.start();
    filler.onRead(new Map([["model", "AP1"]]), true);
    filler.onRead(new Map([["model", "AP1"]]), false); // nothing new: not stated again
    filler.onRead(new Map([["model", "AP2"]]), false);
    filler.onRead(new Map([["model", "AP2"]]), true); // answering again (after unreachable)
    await filler.settled();
    expect(stated).toEqual([
      { type: "pdu", vendor: "APC", owner: "ops" },
      { type: "pdu", vendor: "APC", serial: "S1", model: "AP1", owner: "ops" },
      { type: "pdu", vendor: "APC", serial: "S1", model: "AP2", owner: "ops" },
      { type: "pdu", vendor: "APC", serial: "S2", model: "AP2", owner: "ops" },
    ]);
  });

  it("refuses bad attributes in a profile or a bridge config, naming where", () => {
    const base = {
      name: "p",
      driver: "modbus",
      points: [{ path: "sn", address: { table: "holding", address: 0 } }],
    };
    expect(() => parseProfile({ ...base, attributes: { colour: "red" } }, "p.yaml")).toThrow(
      "p.yaml: /attributes: unknown attribute 'colour'",
    );
    expect(() => parseProfile({ ...base, attributesFrom: { serial: "nope" } }, "p.yaml")).toThrow(
      "/attributesFrom/serial: 'nope' is not a state point",
    );
    expect(parseProfile({ ...base, attributesFrom: { serial: "sn" } }, "p.yaml").attributesFrom).toEqual({
      serial: "sn",
    });
    const yaml = (attrs: string) =>
      `node: { url: 'mqtt://x', username: b }\ndevices:\n  - { thing: t, driver: modbus, address: 'h:502', profile: generic-modbus-pdu, attributes: ${attrs} }\n`;
    expect(() => parseBridgeConfig(yaml("{ location: { unit: 9999 } }"), "b.yaml", {})).toThrow(
      "b.yaml: devices[0].attributes: location.unit must be an integer",
    );
    expect(parseBridgeConfig(yaml("{ owner: ops }"), "b.yaml", {}).devices[0]?.attributes).toEqual({
      owner: "ops",
    });
  });
});
