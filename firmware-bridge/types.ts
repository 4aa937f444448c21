/**
 * The firmware bridge's contract between its engine (polling, change detection, shadow link, desired
 * writes) and its protocol drivers (Modbus TCP, SNMP, Redfish, IPMI).
 *
 * A profile maps shadow paths to device data points. The engine owns everything that is the same for
 * every protocol: scaling, units, enum mapping, read-only vs writable, report-on-change, read-back
 * verification, unreachable marking and backoff. A driver only moves primitive values to and from one
 * device, addressed by the driver-specific `address` object of each point.
 */

/** A value as a driver reads or writes it, before scaling / enum mapping by the engine. */
export type RawValue = number | boolean | string | bigint;

/** Register / wire data types. Drivers that know the type from the wire (SNMP, Redfish) may ignore it. */
export type PointType =
  | "bool"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "int64"
  | "uint64"
  | "string";

export type PointKind = "state" | "measurement";

/** One data point of a profile, as validated by the profile loader. */
export interface PointSpec {
  /**
   * Dotted shadow path under `reported` (and `desired` when writable), e.g. `outlets.3.on`. A table
   * point (SNMP walk, Redfish collection) uses `{index}` in its path: one value per row.
   */
  path: string;
  type?: PointType;
  /** Modbus 32-bit word order: big (high word first, default) or little. */
  wordOrder?: "big" | "little";
  /** shadow = raw * scale + offset (numbers only). */
  scale?: number;
  offset?: number;
  /**
   * `state` (default): the value goes into `reported` whenever it changes (outlet on/off, power state,
   * link up/down, names). `measurement`: a number that moves by itself (watts, volts, amps,
   * temperatures, load, charge, fan speed, counters): published as telemetry on every poll and
   * summarised into `reported` at most once per the device's `summaryInterval` (docs/bridge.md).
   */
  kind?: PointKind;
  /** Informational unit, published in the profile docs and `reported.$units`. */
  unit?: string;
  /** Whether `desired` at this path is written to the device. Default false (read-only). */
  writable?: boolean;
  /** Shadow value ↔ raw value, both ways, e.g. `{ on: 1, off: 2, reboot: 3 }`. */
  enum?: Record<string, RawValue>;
  /** After a write, read the point again and fail unless it holds the written value. Default true. */
  verify?: boolean;
  /** Raw value to read back after a write when it differs from the written one (e.g. reboot → on). */
  verifyValue?: RawValue;
  /**
   * Per desired value (enum name or shadow value as a string): the raw value to read back after writing
   * it, e.g. `{ reboot: 1, cycle: "on" }` for commands that end in another state. Wins over
   * `verifyValue` for the values it names.
   */
  verifyValues?: Record<string, RawValue>;
  /**
   * Enum names that are one-shot commands (e.g. `cycle`, `reboot`): once written and verified, the
   * bridge removes the desired key, so the command never runs again (not after a bridge restart either).
   */
  commands?: string[];
  /** Driver-specific address: Modbus {table, address, unit?}, SNMP {oid} / {table oid, column}, … */
  address: Record<string, unknown>;
}

export interface Profile {
  name: string;
  description?: string;
  /** Inventory attributes of every device of this profile (type, vendor, model…; docs/bridge.md). */
  attributes?: Record<string, unknown>;
  /** Attribute keys filled from this profile's state points: `{serial: "serial", model: "model"}`. */
  attributesFrom?: Record<string, string>;
  driver: DriverName;
  points: PointSpec[];
}

export type DriverName = "modbus" | "snmp" | "redfish" | "ipmi";

/** A reading: the expanded shadow path (table `{index}` filled in) and the raw value. */
export interface Reading {
  path: string;
  value: RawValue;
}

/** A device entry of bridge.yaml, as the engine passes it to the driver factory. */
export interface DeviceSpec {
  /** Thing name of the device. */
  thing: string;
  driver: DriverName;
  /** host[:port] or URL, driver-specific. */
  address: string;
  /** Driver-specific options: Modbus `unitId`; SNMP `version`, `community`, v3 user/auth/priv; Redfish `username`, `password`, `ca`, `insecure`; IPMI `username`, `password`, `interface`. */
  options: Record<string, unknown>;
  /** Poll interval in milliseconds. */
  pollMs: number;
  /** Measurements go into `reported` at most this often (ms; default 60 s). Telemetry is every poll. */
  summaryMs?: number;
  /** Timeout of one request to the device in milliseconds. */
  timeoutMs: number;
}

/**
 * One device's connection. Calls are never concurrent for one Driver instance: the engine awaits
 * each before the next. Errors are thrown as `DriverError` (unreachable vs. refused).
 */
export interface Driver {
  /**
   * True when every request of this driver is bounded by its own timeouts (Modbus): a call may then be
   * slow without being hung, e.g. queued behind silent unit ids on a shared gateway, and the engine
   * does not race it against its hung-call guard (which would mark an answering device unreachable).
   */
  readonly timesItself?: boolean;
  /** Reads these points (table points expand to one reading per row). */
  read(points: readonly PointSpec[]): Promise<Reading[]>;
  /** Writes one raw value to one point (`path` is the expanded path, for table points). */
  write(point: PointSpec, path: string, value: RawValue): Promise<void>;
  /** Releases sockets / sessions. */
  close(): Promise<void>;
  /**
   * What the device says it is, where the protocol offers it (SNMP sysObjectID/sysDescr/ENTITY-MIB,
   * Redfish Manufacturer/Model/SerialNumber, IPMI FRU): the thing's inventory attributes (docs/bridge.md).
   */
  identify?(): Promise<DeviceIdentity>;
}

/** A device's own identity, as a driver reads it (every field optional: absent when unknown). */
export interface DeviceIdentity {
  vendor?: string;
  model?: string;
  serial?: string;
  /** Free labels (e.g. `snmp.sysObjectID`), strings of at most 256 characters. */
  labels?: Record<string, string>;
}

export type DriverFactory = (device: DeviceSpec) => Driver;

/**
 * `unreachable`: no answer, timeout, connection refused, unknown unit id (the device is marked
 * unreachable and retried with backoff). `refused`: the device answered but rejected the request
 * (bad OID, read-only, illegal address, authentication failure): reported as an error, not unreachable.
 */
export class DriverError extends Error {
  override name = "DriverError";
  /**
   * A `refused` read may carry the readings of the points that did answer (e.g. one register block
   * of several was refused): the engine reports those and shows the error in `$bridge.error`.
   */
  readonly readings: Reading[] | undefined;
  constructor(
    readonly kind: "unreachable" | "refused",
    message: string,
    options?: { cause?: unknown; readings?: Reading[] },
  ) {
    super(message, options);
    this.readings = options?.readings;
  }
}
