/**
 * SNMP driver (v2c and v3 USM, with `net-snmp`): batched GETs for scalar points, GETBULK walks for table
 * columns (one reading per row, `{index}` filled in), SETs with the ASN.1 type the object has.
 *
 * Address format: see snmp-address.ts; device options: see snmp-options.ts; value conversions (Counter64,
 * TruthValue, OCTET STRING text vs hex): see snmp-values.ts. User docs: docs/bridge.md "### SNMP".
 *
 * Why the SET type comes from the agent: SNMP rejects a SET whose type differs from the object's
 * (wrongType), and a profile should not have to repeat what the agent already says. The driver remembers
 * the type of every OID it has read; a point written before it was ever read costs one extra GET. A
 * profile can still pin the type with `address.asn` (needed for write-only objects).
 */
import {
  type DeviceIdentity,
  type DeviceSpec,
  type Driver,
  DriverError,
  type DriverFactory,
  type PointSpec,
  type RawValue,
  type Reading,
} from "../types.ts";
import {
  addressOf,
  parseSnmpAddress,
  rowIndexFromPath,
  type SnmpAddress,
  type SnmpAsnType,
} from "./snmp-address.ts";
import { IDENTITY_POINTS, identityFromReadings } from "./snmp-identity.ts";
import { parseSnmpSettings, type SnmpSettings } from "./snmp-options.ts";
import { SnmpSession, type Varbind } from "./snmp-session.ts";
import { ASN_TAG, asnName, decodeVarbind, encodeVarbindValue } from "./snmp-values.ts";

const NO_SUCH = new Set([128, 129, 130]); // noSuchObject, noSuchInstance, endOfMibView

export class SnmpDriver implements Driver {
  private readonly settings: SnmpSettings;
  private session: SnmpSession | undefined;
  /** ASN.1 type per OID (and per column OID), as last returned by the agent. */
  private readonly types = new Map<string, SnmpAsnType>();

  constructor(device: DeviceSpec) {
    this.settings = parseSnmpSettings(device);
  }

  private open(): SnmpSession {
    if (this.session?.stale) {
      this.session.close();
      this.session = undefined;
    }
    this.session ??= new SnmpSession(this.settings);
    return this.session;
  }

  private remember(oid: string, vb: Varbind): void {
    const name = asnName(vb.type);
    if (name) this.types.set(oid, name);
  }

  private decode(vb: Varbind, point: PointSpec, path: string, encoding?: "utf8" | "hex"): RawValue {
    try {
      return decodeVarbind(vb.type, vb.value, point, encoding);
    } catch (err) {
      throw new DriverError("refused", `SNMP point "${path}" (${vb.oid}): ${(err as Error).message}`);
    }
  }

  read(points: readonly PointSpec[]): Promise<Reading[]> {
    return this.readWith(this.open(), points);
  }

  private async readWith(session: SnmpSession, points: readonly PointSpec[]): Promise<Reading[]> {
    const readings: Reading[] = [];
    const scalars = new Map<string, PointSpec[]>();
    const columns = new Map<string, PointSpec[]>();
    for (const point of points) {
      const address = addressOf(point);
      const key = address.kind === "scalar" ? address.oid : address.columnOid;
      const group = address.kind === "scalar" ? scalars : columns;
      group.set(key, [...(group.get(key) ?? []), point]);
    }

    const oids = [...scalars.keys()];
    const missing: string[] = [];
    for (let start = 0; start < oids.length; start += this.settings.maxVarbinds) {
      const batch = oids.slice(start, start + this.settings.maxVarbinds);
      const varbinds = await session.get(batch);
      batch.forEach((oid, i) => {
        const vb = varbinds[i];
        for (const point of scalars.get(oid) ?? []) {
          const address = addressOf(point);
          if (!vb || NO_SUCH.has(vb.type)) {
            if (address.kind === "scalar" && !address.optional) missing.push(`${point.path} (${oid})`);
            continue;
          }
          this.remember(oid, vb);
          readings.push({ path: point.path, value: this.decode(vb, point, point.path, address.encoding) });
        }
      });
    }
    const walked =
      columns.size > 0 ? await session.walkColumns([...columns.keys()]) : new Map<string, Varbind[]>();
    for (const [columnOid, columnPoints] of columns) {
      const prefix = `${columnOid}.`;
      for (const vb of walked.get(columnOid) ?? []) {
        const index = vb.oid.slice(prefix.length);
        this.remember(columnOid, vb);
        for (const point of columnPoints) {
          const path = point.path.replaceAll("{index}", index);
          readings.push({ path, value: this.decode(vb, point, path, addressOf(point).encoding) });
        }
      }
    }
    if (missing.length > 0) {
      // Refused, carrying what did answer: one object an older firmware lacks must not blank the device.
      throw new DriverError(
        "refused",
        `SNMP GET on ${session.target}: the agent has no such object for ${missing.join(", ")} (wrong OID or instance suffix, or mark the point optional: true)`,
        { readings },
      );
    }
    return readings;
  }

  /** sysDescr, sysObjectID and the ENTITY-MIB chassis (snmp-identity.ts); nothing the agent lacks. */
  async identify(): Promise<DeviceIdentity> {
    let readings: Reading[];
    try {
      readings = await this.readWith(this.open(), IDENTITY_POINTS);
    } catch (err) {
      if (!(err instanceof DriverError && err.readings)) throw err;
      readings = err.readings;
    }
    return identityFromReadings(readings);
  }

  async write(point: PointSpec, path: string, value: RawValue): Promise<void> {
    const address = addressOf(point);
    const oid =
      address.kind === "scalar" ? address.oid : `${address.columnOid}.${rowIndexFromPath(point.path, path)}`;
    await this.writeWith(this.open(), address, oid, path, value);
  }

  private async writeWith(
    session: SnmpSession,
    address: SnmpAddress,
    oid: string,
    path: string,
    value: RawValue,
  ): Promise<void> {
    let asn =
      address.asn ??
      this.types.get(oid) ??
      (address.kind === "column" ? this.types.get(address.columnOid) : undefined);
    if (!asn) {
      const [vb] = await session.get([oid]);
      if (!vb || NO_SUCH.has(vb.type)) {
        throw new DriverError(
          "refused",
          `SNMP SET ${oid} on ${session.target} (point "${path}"): the agent has no such object`,
        );
      }
      asn = asnName(vb.type);
      if (!asn)
        throw new DriverError(
          "refused",
          `SNMP SET ${oid} (point "${path}"): the object's type ${vb.type} cannot be written; set address.asn`,
        );
      this.types.set(oid, asn);
    }
    let encoded: unknown;
    try {
      encoded = encodeVarbindValue(asn, value, address.encoding);
    } catch (err) {
      throw new DriverError("refused", `SNMP SET ${oid} (point "${path}"): ${(err as Error).message}`);
    }
    await session.set({ oid, type: ASN_TAG[asn], value: encoded });
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = undefined;
  }
}

export const createSnmpDriver: DriverFactory = (device) => new SnmpDriver(device);

/** Start-up check of a profile's SNMP addresses; `where` names the device or profile in the message. */
export function checkSnmpPoints(points: readonly PointSpec[], where: string): void {
  for (const point of points) {
    try {
      parseSnmpAddress(point.address, point.path);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
}
