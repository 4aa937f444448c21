/**
 * The SNMP driver's point address (`PointSpec.address`), parsed and checked. Pure: no sockets.
 *
 * Two shapes, numeric OIDs only (the bridge loads no MIB files, so a profile never depends on which
 * MIBs a host has installed; the MIB object name goes in a YAML comment next to the OID):
 *
 * - scalar: `{ oid: "1.3.6.1.2.1.1.5.0" }`: one GET per poll (batched with the device's other scalars).
 * - table column: `{ table: "1.3.6.1.2.1.2.2.1", column: 2 }`: the column `<table>.<column>` is walked
 *   (GETBULK) and yields one reading per row; the row index (the OID suffix after the column, e.g. `3` or
 *   `1.4.10.0.0.1`) fills `{index}` in the point's path. `table` is the entry OID (`ifEntry`, `…Entry`).
 *
 * Optional fields on both: `asn` (the ASN.1 type of a SET, e.g. `Integer`, `OctetString`, `Gauge32`;
 * without it the driver uses the type the agent last returned for that OID), `encoding` (`utf8` or
 * `hex` for OCTET STRINGs; default: text when printable, else colon hex like a MAC address). Scalars
 * also take `optional: true`: an OID the agent does not have yields no reading instead of an error.
 */
import { matchPointPath } from "../convert.ts";
import { DriverError } from "../types.ts";

export type SnmpAsnType =
  | "Integer"
  | "OctetString"
  | "OID"
  | "IpAddress"
  | "Counter"
  | "Gauge"
  | "TimeTicks"
  | "Opaque"
  | "Counter64";

interface AddressCommon {
  asn?: SnmpAsnType;
  encoding?: "utf8" | "hex";
}

export interface ScalarAddress extends AddressCommon {
  kind: "scalar";
  oid: string;
  optional: boolean;
}

export interface ColumnAddress extends AddressCommon {
  kind: "column";
  /** `<table>.<column>`: the OID prefix of every cell of the column. */
  columnOid: string;
}

export type SnmpAddress = ScalarAddress | ColumnAddress;

/** Accepted spellings of `asn` (SMI names and their aliases), lower-cased. */
const ASN_NAMES: Record<string, SnmpAsnType> = {
  integer: "Integer",
  integer32: "Integer",
  int: "Integer",
  octetstring: "OctetString",
  string: "OctetString",
  oid: "OID",
  objectidentifier: "OID",
  ipaddress: "IpAddress",
  counter: "Counter",
  counter32: "Counter",
  gauge: "Gauge",
  gauge32: "Gauge",
  unsigned32: "Gauge",
  timeticks: "TimeTicks",
  opaque: "Opaque",
  counter64: "Counter64",
};

const OID_PATTERN = /^\d+(\.\d+)+$/;
const KNOWN_KEYS = new Set(["oid", "table", "column", "asn", "encoding", "optional"]);

/** `.1.3.6…` and `1.3.6…` are the same OID; net-snmp wants the form without the leading dot. */
export function normalizeOid(raw: unknown, where: string): string {
  if (typeof raw !== "string" && typeof raw !== "number") {
    throw new Error(`${where} must be a numeric OID string like "1.3.6.1.2.1.1.5.0"`);
  }
  const oid = String(raw).trim().replace(/^\./, "");
  if (!OID_PATTERN.test(oid)) {
    throw new Error(`${where} "${String(raw)}" is not a numeric OID (digits separated by dots)`);
  }
  return oid;
}

/** Parses one point address; throws an Error saying what is wrong and how to write it. */
export function parseSnmpAddress(address: Record<string, unknown>, path: string): SnmpAddress {
  const where = `SNMP point "${path}": address`;
  for (const key of Object.keys(address)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new Error(`${where} has unknown key "${key}" (allowed: ${[...KNOWN_KEYS].join(", ")})`);
    }
  }
  const common: AddressCommon = {};
  if (address.asn !== undefined) {
    const asn =
      ASN_NAMES[
        String(address.asn)
          .replace(/[\s_-]/g, "")
          .toLowerCase()
      ];
    if (!asn) {
      throw new Error(
        `${where}.asn "${String(address.asn)}" is not an SNMP type (use Integer, OctetString, Gauge32, Counter32, Counter64, TimeTicks, IpAddress, OID or Opaque)`,
      );
    }
    common.asn = asn;
  }
  if (address.encoding !== undefined) {
    if (address.encoding !== "utf8" && address.encoding !== "hex") {
      throw new Error(`${where}.encoding must be "utf8" or "hex"`);
    }
    common.encoding = address.encoding;
  }
  const hasOid = address.oid !== undefined;
  const hasTable = address.table !== undefined || address.column !== undefined;
  if (hasOid === hasTable) {
    throw new Error(
      `${where} needs either { oid: "1.3.6.1.2.1.1.5.0" } or { table: "1.3.6.1.2.1.2.2.1", column: 2 }`,
    );
  }
  if (hasOid) {
    if (address.optional !== undefined && typeof address.optional !== "boolean") {
      throw new Error(`${where}.optional must be true or false`);
    }
    return {
      kind: "scalar",
      oid: normalizeOid(address.oid, `${where}.oid`),
      optional: address.optional === true,
      ...common,
    };
  }
  if (address.optional !== undefined) {
    throw new Error(`${where}.optional applies to { oid } points only (a table column may have no rows)`);
  }
  const table = normalizeOid(address.table, `${where}.table`);
  const column = Number(address.column);
  if (!Number.isInteger(column) || column < 0) {
    throw new Error(
      `${where}.column must be a non-negative integer (the column number under the table entry)`,
    );
  }
  if (!path.includes("{index}")) {
    throw new Error(
      `SNMP point "${path}": a table column point needs "{index}" in its path (one value per row)`,
    );
  }
  return { kind: "column", columnOid: `${table}.${column}`, ...common };
}

/**
 * The row index a table point's expanded path was made from: `ports.{index}.admin` with
 * `ports.3.admin` gives `3`. The index may itself contain dots (`1.4.10.0.0.1`).
 */
export function rowIndexFromPath(template: string, path: string): string {
  const index = matchPointPath(template, path) ?? "";
  if (!/^\d+(\.\d+)*$/.test(index)) {
    throw new DriverError("refused", `SNMP point "${template}": "${path}" is not one of its rows`);
  }
  return index;
}

/** Parsed addresses, cached per PointSpec object (profiles are loaded once, points are reused). */
const cache = new WeakMap<object, SnmpAddress>();

/** `parseSnmpAddress` for the driver: a bad address is the profile's fault, reported as `refused`. */
export function addressOf(point: { path: string; address: Record<string, unknown> }): SnmpAddress {
  let parsed = cache.get(point);
  if (!parsed) {
    try {
      parsed = parseSnmpAddress(point.address, point.path);
    } catch (err) {
      throw new DriverError("refused", (err as Error).message);
    }
    cache.set(point, parsed);
  }
  return parsed;
}
