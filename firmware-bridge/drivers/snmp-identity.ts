import type { DeviceIdentity, PointSpec, Reading } from "../types.ts";

/**
 * What an SNMP agent says it is (docs/bridge.md, "Attributes"): SNMPv2-MIB sysDescr.0 and sysObjectID.0
 * (RFC 3418) and the ENTITY-MIB physical table (RFC 6933 entPhysicalTable: class, serial, maker, model)
 * when the agent has it. The vendor comes from the physical entity's maker, else from the IANA
 * enterprise number in sysObjectID (1.3.6.1.4.1.<n>…). Pure: the driver reads the points.
 */
const ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1";
const CHASSIS = 3; // PhysicalClass chassis(3)

export const IDENTITY_POINTS: PointSpec[] = [
  { path: "sysDescr", type: "string", address: { oid: "1.3.6.1.2.1.1.1.0", optional: true } },
  { path: "sysObjectID", address: { oid: "1.3.6.1.2.1.1.2.0", optional: true } },
  { path: "entity.{index}.class", address: { table: ENT_PHYSICAL, column: 5 } },
  { path: "entity.{index}.serial", type: "string", address: { table: ENT_PHYSICAL, column: 11 } },
  { path: "entity.{index}.maker", type: "string", address: { table: ENT_PHYSICAL, column: 12 } },
  { path: "entity.{index}.model", type: "string", address: { table: ENT_PHYSICAL, column: 13 } },
];

/** IANA Private Enterprise Numbers of common datacenter equipment makers. */
export const ENTERPRISES: Record<number, string> = {
  2: "IBM",
  9: "Cisco",
  11: "HP",
  232: "HPE",
  318: "APC",
  534: "Eaton",
  674: "Dell",
  1718: "Server Technology",
  1916: "Extreme Networks",
  2011: "Huawei",
  2636: "Juniper",
  3808: "CyberPower",
  4526: "Netgear",
  6027: "Dell (Force10)",
  6486: "Alcatel-Lucent",
  8072: "Net-SNMP",
  12356: "Fortinet",
  13742: "Raritan",
  14988: "MikroTik",
  21239: "Vertiv (Geist)",
  25506: "H3C",
  30065: "Arista",
  41112: "Ubiquiti",
};

const text = (v: unknown) => (typeof v === "string" ? v.trim().slice(0, 256) : "");

export function identityFromReadings(readings: readonly Reading[]): DeviceIdentity {
  const values = new Map(readings.map((r) => [r.path, r.value]));
  const out: DeviceIdentity = {};
  const labels: Record<string, string> = {};
  const descr = text(values.get("sysDescr"));
  if (descr) labels["snmp.sysDescr"] = descr;
  const objectId = text(values.get("sysObjectID")).replace(/^\./, "");
  if (objectId) labels["snmp.sysObjectID"] = objectId;
  // The chassis entity (the first, by index), else the first entity with a serial number.
  const rows = new Map<string, { class?: number; serial?: string; maker?: string; model?: string }>();
  for (const r of readings) {
    const m = /^entity\.([^.]+)\.(class|serial|maker|model)$/.exec(r.path);
    if (!m) continue;
    const row = rows.get(m[1] as string) ?? {};
    if (m[2] === "class") row.class = Number(r.value);
    else row[m[2] as "serial" | "maker" | "model"] = text(r.value);
    rows.set(m[1] as string, row);
  }
  const ordered = [...rows.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, row]) => row);
  const entity = ordered.find((r) => r.class === CHASSIS) ?? ordered.find((r) => r.serial);
  if (entity?.maker) out.vendor = entity.maker;
  if (entity?.model) out.model = entity.model;
  if (entity?.serial) out.serial = entity.serial;
  const enterprise = /^1\.3\.6\.1\.4\.1\.(\d+)/.exec(objectId)?.[1];
  if (!out.vendor && enterprise !== undefined) {
    const vendor = ENTERPRISES[Number(enterprise)];
    if (vendor) out.vendor = vendor;
  }
  if (Object.keys(labels).length > 0) out.labels = labels;
  return out;
}
