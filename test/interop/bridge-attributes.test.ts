import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { startSecureNode, until } from "../helpers/device-sdk.ts";
import { assertPeers, checkPeers, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import type { TestNode } from "../helpers/node.ts";
import { checkPymodbus, type PymodbusServer, startPymodbus } from "../helpers/pymodbus.ts";
import {
  SNMPD_BIN,
  SNMPD_COMMUNITY,
  SNMPSIMD_BIN,
  type SnmpAgent,
  startSnmpd,
  startSnmpsim,
} from "../helpers/snmp-agents.ts";
import { apcPduSnmprec, snmprec } from "../helpers/snmp-devices.ts";

type Json = Record<string, unknown>;

/**
 * The bridge fills its things' inventory attributes (docs/bridge.md, "Attributes") against real peers:
 * snmpsimd serving an APC PDU (sysObjectID, rPDUIdent model/serial) and a switch with an ENTITY-MIB
 * chassis, Debian's snmpd (the Net-SNMP enterprise number), pymodbus (profile only), plus the config's
 * location and labels; an operator's key set by hand stays, and the fleet query finds them.
 */
const ENT = "1.3.6.1.2.1.47.1.1.1.1";
const switchWithEntity = () =>
  snmprec([
    ["1.3.6.1.2.1.1.1.0", 4, "Arista Networks EOS version 4.28.3M running on an Arista DCS-7050SX-64"],
    ["1.3.6.1.2.1.1.2.0", 6, "1.3.6.1.4.1.30065.1.3011.7050.1958.64"],
    ["1.3.6.1.2.1.1.5.0", 4, "sw-1"],
    [`${ENT}.5.1`, 2, 3], // entPhysicalClass.1 = chassis
    [`${ENT}.5.2`, 2, 9], // entPhysicalClass.2 = module
    [`${ENT}.11.1`, 4, "JPE15140000"], // entPhysicalSerialNum
    [`${ENT}.11.2`, 4, "MOD-SERIAL-2"],
    [`${ENT}.12.1`, 4, "Arista Networks"], // entPhysicalMfgName
    [`${ENT}.12.2`, 4, "Arista Networks"],
    [`${ENT}.13.1`, 4, "DCS-7050SX-64"], // entPhysicalModelName
    [`${ENT}.13.2`, 4, "PWR-460AC-F"],
  ]);

const snmpPeers = checkPeers([SNMPD_BIN, SNMPSIMD_BIN]);
const modbusPeers = checkPymodbus();
const peers = {
  ok: snmpPeers.ok && modbusPeers.ok,
  reason: [snmpPeers.reason, modbusPeers.reason].filter(Boolean).join("; "),
};

describe.runIf(shouldRunPeerSuite("bridge-attributes", peers))("the bridge fills attributes", () => {
  let node: TestNode;
  let snmpd: SnmpAgent;
  let sim: SnmpAgent;
  let modbus: PymodbusServer;
  let bridge: RunningBridge | undefined;
  let token: string;

  const call = async (method: string, path: string, body?: Json) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const attributesOf = async (thing: string) => {
    const r = await call("GET", `/things/${thing}/attributes`);
    return r.status === 200 ? (r.body.attributes as Json) : undefined;
  };

  beforeAll(async () => {
    assertPeers(peers); // only reached when the peers are there or CI requires them
    [node, snmpd, sim, modbus] = await Promise.all([
      startSecureNode(),
      startSnmpd(),
      startSnmpsim({ "apc-pdu": apcPduSnmprec(), "sw-entity": switchWithEntity() }),
      startPymodbus([1]),
    ]);
    token = node.identities.createToken("ops", "operator", "*").token;
  }, 60_000);
  afterAll(async () => {
    await bridge?.close();
    await Promise.all([snmpd?.stop(), sim?.stop(), modbus?.kill()]);
    await node?.stop();
  });

  it("states profile, device identity and config attributes; keeps what an operator set", async () => {
    // The operator racked the PDU by hand before the bridge ever ran.
    expect((await call("PUT", "/things/pdu-snmp/attributes", { location: { rack: "R9" } })).status).toBe(200);
    const password = node.identities.add("rack-bridge", "bridge", "*");
    const config = parseBridgeConfig(
      [
        `node: { url: '${node.mqttUrl}', username: rack-bridge }`,
        "defaults: { pollInterval: 300ms, timeout: 1s }",
        "devices:",
        "  - thing: pdu-snmp",
        "    driver: snmp",
        `    address: '${sim.address}'`,
        "    profile: apc-pdu-snmp",
        "    options: { version: 2c, community: apc-pdu }",
        "    attributes: { location: { site: lab, room: r2, rack: R1 }, labels: { row: a } }",
        "  - thing: sw-1",
        "    driver: snmp",
        `    address: '${sim.address}'`,
        "    profile: switch-if-mib",
        "    options: { version: 2c, community: sw-entity }",
        "  - thing: host-snmp",
        "    driver: snmp",
        `    address: '${snmpd.address}'`,
        "    profile: switch-if-mib",
        `    options: { version: 2c, community: ${SNMPD_COMMUNITY} }`,
        "  - thing: pdu-mb",
        "    driver: modbus",
        `    address: '127.0.0.1:${modbus.port}'`,
        "    profile: generic-modbus-pdu",
        "    options: { unitId: 1 }",
        "    attributes: { owner: facilities }",
      ].join("\n"),
      "/tmp/bridge-attributes-test.yaml",
      { UMBRA_BRIDGE_PASSWORD: password },
    );
    bridge = await startBridge(config);

    const pdu = await until(
      "pdu-snmp's serial",
      async () => {
        const a = await attributesOf("pdu-snmp");
        return a?.serial ? a : undefined;
      },
      20_000,
    );
    expect(pdu).toEqual({
      type: "pdu",
      vendor: "APC",
      model: "AP7920B",
      serial: "5A1234E00001",
      location: { site: "lab", room: "r2", rack: "R9" },
      labels: {
        row: "a",
        "snmp.sysDescr": "APC Web/SNMP Management Card (MN:AP7920B) - snmpsim",
        "snmp.sysObjectID": "1.3.6.1.4.1.318.1.3.4.5",
      },
    });
    const origins = (await call("GET", "/things/pdu-snmp/attributes")).body.origins as Json;
    expect(origins).toMatchObject({ type: "device", location: { rack: "operator", site: "device" } });

    const sw = await until(
      "sw-1's serial",
      async () => {
        const a = await attributesOf("sw-1");
        return a?.serial ? a : undefined;
      },
      20_000,
    );
    expect(sw).toMatchObject({
      type: "switch",
      vendor: "Arista Networks",
      model: "DCS-7050SX-64",
      serial: "JPE15140000",
    });

    const host = await until(
      "host-snmp's vendor",
      async () => {
        const a = await attributesOf("host-snmp");
        return a?.vendor ? a : undefined;
      },
      20_000,
    );
    expect(host).toMatchObject({ type: "switch", vendor: "Net-SNMP" });
    expect(String((host.labels as Json)["snmp.sysObjectID"])).toMatch(/^1\.3\.6\.1\.4\.1\.8072\./);

    expect(await until("pdu-mb's attributes", () => attributesOf("pdu-mb"), 20_000)).toEqual({
      type: "pdu",
      owner: "facilities",
    });

    const found = await call("GET", "/things?q=attributes.type:pdu&fields=attributes.vendor");
    expect(found.body.results).toEqual([
      { thingName: "pdu-mb" },
      { thingName: "pdu-snmp", "attributes.vendor": "APC" },
    ]);
  }, 120_000);
});
