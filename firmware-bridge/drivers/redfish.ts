import {
  type DeviceIdentity,
  type DeviceSpec,
  type Driver,
  DriverError,
  type PointSpec,
  type RawValue,
  type Reading,
} from "../types.ts";
import {
  expandPath,
  fillIds,
  getPointer,
  parseRedfishAddress,
  patchBody,
  type RedfishAddress,
  resetTypeFor,
  tableRows,
  toRaw,
} from "./redfish-address.ts";
import { RedfishHttp, type RedfishResponse } from "./redfish-http.ts";
import { type RedfishCredentials, RedfishSession } from "./redfish-session.ts";

/**
 * Redfish (DMTF DSP0266) driver: BMCs of servers (iDRAC, iLO, XCC, OpenBMC) over HTTPS. A poll GETs
 * each resource a profile names once and picks the points out of it with JSON pointers; a desired
 * value is written either as a PATCH of the property or as the `#ComputerSystem.Reset` action, whose
 * `ResetType` is mapped from the desired value (power states are read as PowerState On/Off but are
 * changed through Reset, never by PATCHing PowerState, which is read-only in the schema).
 *
 * Device options: `username`, `password`, `auth` (`session` default | `basic`), `ca` (PEM text or
 * file), `insecure` (accept any certificate; opt-in), `systemId` / `chassisId` (fill `{system}` /
 * `{chassis}` in profile resource paths; default `1`).
 */
export function createRedfishDriver(device: DeviceSpec): Driver {
  const o = device.options;
  const http = new RedfishHttp(
    device.address,
    { ca: optString(o, "ca", device), insecure: optBool(o, "insecure", device) },
    device.timeoutMs,
  );
  const creds: RedfishCredentials = {
    username: optString(o, "username", device),
    password: optString(o, "password", device),
    auth: optAuth(o, device),
  };
  const ids = {
    system: optString(o, "systemId", device) ?? "1",
    chassis: optString(o, "chassisId", device) ?? "1",
  };
  return new RedfishDriver(http, new RedfishSession(http, creds), ids);
}

export class RedfishDriver implements Driver {
  private readonly addresses = new WeakMap<PointSpec, RedfishAddress>();

  constructor(
    private readonly http: RedfishHttp,
    readonly session: RedfishSession,
    private readonly ids = { system: "1", chassis: "1" },
  ) {}

  /**
   * A problem of one point or resource (404, HTTP error, missing property) does not hide the others:
   * they are read, and the error is thrown at the end carrying their readings. Transport, TLS and
   * login failures abort at once (a failed login is never retried within one poll: BMCs lock
   * accounts after a few).
   */
  async read(points: readonly PointSpec[]): Promise<Reading[]> {
    const docs = new Map<string, unknown>();
    const readings: Reading[] = [];
    const problems = new Set<string>();
    for (const point of points) {
      const addr = this.address(point);
      if (!docs.has(addr.resource)) docs.set(addr.resource, await this.fetch(addr.resource));
      const doc = docs.get(addr.resource);
      if (doc instanceof Problem) {
        problems.add(doc.message);
        continue;
      }
      if (doc === MISSING) {
        // Tables and optional points tolerate a resource the BMC does not have (e.g. only the newer
        // ThermalSubsystem instead of Thermal); a required point does not.
        if (addr.table === undefined && !addr.optional) {
          problems.add(`Redfish ${addr.resource} not found (HTTP 404; point ${point.path})`);
        }
        continue;
      }
      if (addr.table !== undefined) {
        for (const [index, row] of tableRows(doc, addr)) {
          const value = toRaw(getPointer(row, addr.pointer));
          // A null reading (sensor absent, host off) is normal in Redfish: no reading, not an error.
          if (value !== undefined) readings.push({ path: expandPath(point.path, index), value });
        }
        continue;
      }
      const raw = getPointer(doc, addr.pointer);
      if (raw === null) continue;
      const value = toRaw(raw);
      if (value !== undefined) readings.push({ path: point.path, value });
      else if (!addr.optional) {
        problems.add(
          `Redfish ${addr.resource} has no value at ${addr.pointer} (point ${point.path}); check the profile`,
        );
      }
    }
    if (problems.size > 0) throw new DriverError("refused", [...problems].join("; "), { readings });
    return readings;
  }

  /** GET for a poll: the body, MISSING on 404, a Problem on other refusals; unreachable throws. */
  private async fetch(resource: string): Promise<unknown> {
    const res = await this.session.send({ method: "GET", path: resource });
    if (res.status === 404) return MISSING;
    try {
      expectOk(res, `GET ${resource}`);
    } catch (err) {
      if ((err as DriverError).kind === "refused") return new Problem((err as Error).message);
      throw err;
    }
    return res.body;
  }

  /**
   * Manufacturer, Model and SerialNumber of the ComputerSystem, else of the Chassis (DSP0268: both
   * resources carry them; a BMC fills one or both). Missing properties yield nothing.
   */
  async identify(): Promise<DeviceIdentity> {
    const resources = ["Systems/{system}", "Chassis/{chassis}"];
    const points: PointSpec[] = resources.flatMap((resource, i) =>
      IDENTITY_PROPERTIES.map(([key, property]) => ({
        path: `r${i}.${key}`,
        address: { resource, pointer: `/${property}`, optional: true },
      })),
    );
    let readings: Reading[];
    try {
      readings = await this.read(points);
    } catch (err) {
      if (!(err instanceof DriverError && err.readings)) throw err;
      readings = err.readings;
    }
    const out: DeviceIdentity = {};
    for (const [key] of IDENTITY_PROPERTIES) {
      const value = resources
        .map((_, i) => readings.find((x) => x.path === `r${i}.${key}`)?.value)
        .find((v) => typeof v === "string" && v.trim() !== "");
      if (typeof value === "string") out[key] = value.trim().slice(0, 256);
    }
    return out;
  }

  async write(point: PointSpec, _path: string, value: RawValue): Promise<void> {
    const addr = this.address(point);
    if (addr.write === "reset" || addr.action !== undefined) return this.reset(addr, value);
    if (addr.table !== undefined) {
      throw new DriverError("refused", `Redfish point ${point.path}: table points cannot be PATCHed`);
    }
    const body = patchBody(addr.pointer, value);
    // DSP0266 §9.5: services may require If-Match on PATCH (iLO answers 428 without it).
    const current = await this.session.send({ method: "GET", path: addr.resource });
    expectOk(current, `GET ${addr.resource}`);
    const etag = etagOf(current);
    const res = await this.session.send({
      method: "PATCH",
      path: addr.resource,
      body,
      ...(etag ? { headers: { "if-match": etag } } : {}),
    });
    expectOk(res, `PATCH ${addr.resource} ${addr.pointer}`);
  }

  async close(): Promise<void> {
    await this.session.close();
    this.http.close();
  }

  /** Runs the reset action: its target comes from the resource's `Actions` (DSP0266 §7.8). */
  private async reset(addr: RedfishAddress, value: RawValue): Promise<void> {
    const name = addr.action ?? "#ComputerSystem.Reset";
    const doc = await this.get(addr.resource);
    // Already in the desired state: BMCs answer a ForceOff of an off server with an error (iDRAC 409).
    if (getPointer(doc, addr.pointer) === value) return;
    const action = getPointer(doc, `/Actions/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`) as
      | { target?: unknown; "ResetType@Redfish.AllowableValues"?: unknown }
      | undefined;
    const target =
      typeof action?.target === "string"
        ? new URL(action.target, this.http.origin).pathname // some BMCs give an absolute URL
        : `${addr.resource}/Actions/${name.replace(/^#/, "")}`;
    const resetType = resetTypeFor(addr, value);
    const allowed = action?.["ResetType@Redfish.AllowableValues"];
    if (Array.isArray(allowed) && !allowed.includes(resetType)) {
      throw new DriverError(
        "refused",
        `Redfish ${addr.resource} does not allow ResetType ${resetType} (allowed: ${allowed.join(", ")})`,
      );
    }
    const res = await this.session.send({ method: "POST", path: target, body: { ResetType: resetType } });
    expectOk(res, `POST ${target} ResetType=${resetType}`);
  }

  private async get(resource: string): Promise<unknown> {
    const res = await this.session.send({ method: "GET", path: resource });
    expectOk(res, `GET ${resource}`);
    return res.body;
  }

  private address(point: PointSpec): RedfishAddress {
    let addr = this.addresses.get(point);
    if (addr === undefined) {
      const parsed = parseRedfishAddress(point);
      addr = { ...parsed, resource: fillIds(parsed.resource, this.ids) };
      this.addresses.set(point, addr);
    }
    return addr;
  }
}

/** The resource's ETag: the header, else the `@odata.etag` property. */
function etagOf(res: RedfishResponse): string | undefined {
  const h = res.headers.etag;
  const header = Array.isArray(h) ? h[0] : h;
  const prop = getPointer(res.body, "/@odata.etag");
  return header ?? (typeof prop === "string" ? prop : undefined);
}

const IDENTITY_PROPERTIES = [
  ["vendor", "Manufacturer"],
  ["model", "Model"],
  ["serial", "SerialNumber"],
] as const;

/** A resource the service answered 404 for. */
const MISSING = Symbol("missing");

/** A resource the service refused (HTTP 4xx other than 404): reported, the other points still read. */
class Problem {
  constructor(readonly message: string) {}
}

/** 2xx passes; 502–504 mean the BMC's web server is up but its backend is not (retry); else refused. */
function expectOk(res: RedfishResponse, what: string): void {
  if (res.status >= 200 && res.status <= 299) return;
  const detail = redfishMessage(res.body);
  const msg = `Redfish ${what}: HTTP ${res.status}${detail ? ` (${detail})` : ""}`;
  throw new DriverError(res.status >= 502 && res.status <= 504 ? "unreachable" : "refused", msg);
}

/** The human message of a Redfish error body (`error.@Message.ExtendedInfo[0].Message` or `error.message`). */
function redfishMessage(body: unknown): string | undefined {
  const extended = toRaw(getPointer(body, "/error/@Message.ExtendedInfo/0/Message"));
  const plain = toRaw(getPointer(body, "/error/message"));
  return (extended ?? plain)?.toString();
}

function optString(o: Record<string, unknown>, name: string, d: DeviceSpec): string | undefined {
  const v = o[name];
  if (v === undefined || typeof v === "string") return v;
  throw new DriverError("refused", `device ${d.thing}: Redfish option ${name} must be a string`);
}

function optBool(o: Record<string, unknown>, name: string, d: DeviceSpec): boolean | undefined {
  const v = o[name];
  if (v === undefined || typeof v === "boolean") return v;
  throw new DriverError("refused", `device ${d.thing}: Redfish option ${name} must be true or false`);
}

function optAuth(o: Record<string, unknown>, d: DeviceSpec): "session" | "basic" | undefined {
  const v = o.auth;
  if (v === undefined || v === "session" || v === "basic") return v;
  throw new DriverError("refused", `device ${d.thing}: Redfish option auth must be "session" or "basic"`);
}

/** Start-up check of a profile's Redfish addresses (`where` names the device or profile). */
export function checkRedfishPoints(points: readonly PointSpec[], where: string): void {
  for (const point of points) {
    try {
      parseRedfishAddress(point);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
}
