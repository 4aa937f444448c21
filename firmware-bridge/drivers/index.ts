import type { DeviceSpec, DriverFactory, DriverName, PointSpec } from "../types.ts";
import { checkIpmiPoints, createIpmiDriver } from "./ipmi.ts";
import { checkModbusPoints, createModbusDriver } from "./modbus.ts";
import { checkRedfishPoints, createRedfishDriver } from "./redfish.ts";
import { checkSnmpPoints, createSnmpDriver } from "./snmp.ts";

/**
 * Driver registry: name → factory. Each driver adds one line. A factory validates the device entry
 * (address, options) and throws a clear error at start-up; it must not open sockets before the first
 * call (the engine's first poll does, and handles an unreachable device).
 */
const FACTORIES: Partial<Record<DriverName, DriverFactory>> = {
  modbus: createModbusDriver,
  redfish: createRedfishDriver,
  ipmi: createIpmiDriver,
  snmp: createSnmpDriver,
};

/**
 * Optional start-up check of a profile's driver-specific `address` objects (`where` names the device for
 * the message). Drivers without one are checked at their first read.
 */
const POINT_CHECKS: Partial<Record<DriverName, (points: readonly PointSpec[], where: string) => void>> = {
  modbus: checkModbusPoints,
  redfish: checkRedfishPoints,
  ipmi: checkIpmiPoints,
  snmp: checkSnmpPoints,
};

export function driverFactory(name: DriverName): DriverFactory {
  const f = FACTORIES[name];
  if (!f)
    throw new Error(
      `driver '${name}' is not available in this build (available: ${Object.keys(FACTORIES).join(", ")})`,
    );
  return f;
}

export function checkPoints(name: DriverName, points: readonly PointSpec[], where: string): void {
  POINT_CHECKS[name]?.(points, where);
}

export function availableDrivers(): DriverName[] {
  return Object.keys(FACTORIES) as DriverName[];
}

/**
 * Device options each driver understands (SNMP checks its own, with per-version rules). A typo such as
 * `pasword` must fail at start-up, not show up later as an authentication failure.
 */
const OPTION_KEYS: Partial<Record<DriverName, readonly string[]>> = {
  modbus: ["unitId"],
  redfish: ["username", "password", "auth", "ca", "insecure", "systemId", "chassisId"],
  ipmi: ["username", "password", "interface", "cipherSuite", "privilege", "ipmitool"],
};

/**
 * Start-up check of one device entry: known option keys, then the driver's own validation of the
 * address and options (its factory), before anything connects. Factories open no sockets, so the
 * probe driver is built and closed at once.
 */
export function checkDevice(spec: DeviceSpec): void {
  const known = OPTION_KEYS[spec.driver];
  for (const key of known ? Object.keys(spec.options) : [])
    if (!known?.includes(key))
      throw new Error(`device ${spec.thing}: unknown option '${key}' (allowed: ${known?.join(", ")})`);
  const probe = driverFactory(spec.driver)(spec);
  probe.close().catch(() => undefined);
}
