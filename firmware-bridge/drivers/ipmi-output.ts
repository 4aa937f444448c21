import { DriverError, type PointSpec, type RawValue } from "../types.ts";

/**
 * Pure parsing of `ipmitool` output and of IPMI point addresses. ipmitool is run with `-c` (CSV) where
 * it has it, and with `-v` so that stderr says *why* a session failed: without it a wrong password and
 * a BMC that does not answer both print only "Unable to establish IPMI v2 / RMCP+ session".
 *
 * Profile addresses:
 *   { command: "power" }          chassis power status (raw "on"/"off"); writes on/off/cycle/reset/soft
 *   { sensor: "CPU Temp" }        one sensor by SDR name (`sensor reading`)
 *   { sdr: "Temperature" }        table: every sensor of an SDR type (`sdr type`), `{index}` = the name
 *                                 with characters other than letters, digits, _ and - replaced by _
 */
export type IpmiAddress =
  | { kind: "power" }
  | { kind: "sensor"; name: string }
  | { kind: "sdr"; type: string };

export const POWER_COMMANDS = ["on", "off", "cycle", "reset", "soft"] as const;

export function parseIpmiAddress(point: PointSpec): IpmiAddress {
  const a = point.address;
  const where = `IPMI point ${point.path}`;
  if (a.command === "power") return { kind: "power" };
  if (a.command !== undefined) throw new DriverError("refused", `${where}: address.command must be "power"`);
  if (typeof a.sensor === "string" && a.sensor !== "") return { kind: "sensor", name: a.sensor };
  if (typeof a.sdr === "string" && a.sdr !== "") {
    if (!point.path.includes("{index}")) {
      throw new DriverError("refused", `${where}: an sdr table point needs {index} in its path`);
    }
    return { kind: "sdr", type: a.sdr };
  }
  throw new DriverError("refused", `${where}: address needs command: power, sensor: <name> or sdr: <type>`);
}

/** "Chassis Power is on" → "on". */
export function parsePowerStatus(stdout: string): "on" | "off" {
  const m = /Chassis Power is (on|off)/i.exec(stdout);
  if (!m?.[1])
    throw new DriverError("refused", `unexpected ipmitool power status output: ${firstLine(stdout)}`);
  return m[1].toLowerCase() as "on" | "off";
}

/** A sensor value: decimal numbers as numbers, "na"/empty as no reading, anything else (discrete) as text. */
export function sensorValue(text: string | undefined): RawValue | undefined {
  const t = (text ?? "").trim();
  if (t === "" || /^(na|n\/a|disabled|no reading)$/i.test(t)) return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** `-c sensor reading` lines "name,value" → name → value. */
export function parseSensorReadings(stdout: string): Map<string, RawValue | undefined> {
  const out = new Map<string, RawValue | undefined>();
  for (const line of stdout.split("\n")) {
    const i = line.lastIndexOf(",");
    if (i <= 0) continue;
    out.set(line.slice(0, i).trim(), sensorValue(line.slice(i + 1)));
  }
  return out;
}

/** `-c sdr type X` lines "name,value,unit,status,…" → [index, value] for sensors with a reading. */
export function parseSdrRows(stdout: string): [string, RawValue][] {
  const rows: [string, RawValue][] = [];
  for (const line of stdout.split("\n")) {
    const [name, value] = line.split(",");
    const v = sensorValue(value);
    if (!name?.trim() || v === undefined) continue;
    rows.push([rowIndex(name), v]);
  }
  return rows;
}

/** A sensor name as a shadow path segment: "CPU1 Temp" → "CPU1_Temp". */
export function rowIndex(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9_-]+/g, "_");
}

/** Authentication failures as ipmitool -v words them (IPMI 2.0 RAKP and IPMI 1.5 activate session). */
const AUTH_FAILURE =
  /RAKP 2 HMAC is invalid|unauthorized name|Activate Session command failed|Get Session Challenge command failed|insufficient privilege|invalid role|Set Session Privilege Level to \w+ failed/i;
/** No or no sensible answer from the BMC. */
const NO_ANSWER = /Get Auth Capabilities error|No response|Unable to establish|Address lookup|timeout/i;

/** The BMC rejected the login: never retried within a poll (BMCs lock accounts after a few). */
export class IpmiAuthError extends DriverError {}

/** Classifies a failed ipmitool run. `what` is e.g. "ipmitool chassis power status at 10.0.0.5:623". */
export function classifyFailure(what: string, stderr: string, timedOut: boolean): DriverError {
  const detail = lastLines(stderr);
  if (timedOut)
    return new DriverError("unreachable", `${what}: no answer in time${detail ? ` (${detail})` : ""}`);
  if (AUTH_FAILURE.test(stderr)) {
    return new IpmiAuthError(
      "refused",
      `${what}: authentication failed (${detail}); check the device's username, password and privilege`,
    );
  }
  if (NO_ANSWER.test(stderr)) return new DriverError("unreachable", `${what}: ${detail}`);
  return new DriverError("refused", `${what}: ${detail || "ipmitool failed"}`);
}

/** The meaningful end of ipmitool's stderr (its -v chatter comes first). */
function lastLines(stderr: string): string {
  const noise =
    /^(Loading IANA|Running Get VSO|Invalid completion code received: Invalid command|Discovered IPMB)/;
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !noise.test(l))
    .slice(-3)
    .join("; ");
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.slice(0, 200) ?? "";
}
