/**
 * A device entry's SNMP settings (`DeviceSpec.address` and `.options`), parsed and checked. Pure.
 *
 * ```yaml
 * address: 10.0.0.5          # host[:port], IPv6 as [::1]:161; port defaults to 161
 * options:
 *   version: 2c              # 2c (default) or 3
 *   community: public        # v2c
 *   user: umbra              # v3 (USM)
 *   level: authPriv          # noAuthNoPriv | authNoPriv | authPriv (default: from the keys given)
 *   authProtocol: sha        # sha (default) | md5 | sha224 | sha256 | sha384 | sha512
 *   authKey: "…"             # passphrase, 8+ characters
 *   privProtocol: aes        # aes (default, AES-128-CFB) | des | aes256b | aes256r
 *   privKey: "…"
 *   context: ""              # v3 context name
 *   retries: 1               # resends within timeoutMs (each try waits timeoutMs / (retries + 1))
 *   maxRepetitions: 20       # GETBULK rows per column per request in table walks
 *   maxVarbinds: 32          # OIDs per GET request (larger batches are split)
 *   maxRows: 10000           # walk bound per column, against agents that never end a table
 * ```
 */
import type { DeviceSpec } from "../types.ts";

export type SecurityLevel = "noAuthNoPriv" | "authNoPriv" | "authPriv";
export type AuthProtocol = "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512";
export type PrivProtocol = "des" | "aes" | "aes256b" | "aes256r";

export interface SnmpV3User {
  name: string;
  level: SecurityLevel;
  authProtocol?: AuthProtocol;
  authKey?: string;
  privProtocol?: PrivProtocol;
  privKey?: string;
}

export interface SnmpSettings {
  host: string;
  port: number;
  transport: "udp4" | "udp6";
  version: "2c" | "3";
  community: string;
  user?: SnmpV3User;
  context: string;
  /** Per-try timeout, so that all tries together stay within the device's timeoutMs. */
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  maxVarbinds: number;
  maxRows: number;
}

const KNOWN = new Set([
  "version",
  "community",
  "user",
  "username",
  "level",
  "authProtocol",
  "authKey",
  "privProtocol",
  "privKey",
  "context",
  "retries",
  "maxRepetitions",
  "maxVarbinds",
  "maxRows",
]);
const AUTH: readonly AuthProtocol[] = ["md5", "sha", "sha224", "sha256", "sha384", "sha512"];
const PRIV: readonly PrivProtocol[] = ["des", "aes", "aes256b", "aes256r"];
const LEVELS: readonly SecurityLevel[] = ["noAuthNoPriv", "authNoPriv", "authPriv"];

export function parseHostPort(address: string, where: string): { host: string; port: number } {
  const text = address.trim().replace(/^udp:\/\//, "");
  let host = text;
  let port = 161;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? "";
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (text.split(":").length === 2) {
    const [h, p] = text.split(":");
    host = h ?? "";
    port = Number(p);
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${where}: address "${address}" must be host[:port] (port 1-65535; IPv6 as [::1]:161)`);
  }
  return { host, port };
}

function count(value: unknown, fallback: number, min: number, max: number, where: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${where} must be an integer from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, where: string): T {
  if (value === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === String(value).toLowerCase());
  if (!match) throw new Error(`${where} "${String(value)}" is not one of ${allowed.join(", ")}`);
  return match;
}

function secret(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length < 8) {
    throw new Error(`${where} must be a passphrase of at least 8 characters (RFC 3414 USM)`);
  }
  return value;
}

function parseUser(o: Record<string, unknown>, where: string): SnmpV3User {
  const name = o.user ?? o.username;
  if (typeof name !== "string" || name === "") {
    throw new Error(`${where}: SNMPv3 needs options.user (the USM user name)`);
  }
  const authKey = secret(o.authKey, `${where}: options.authKey`);
  const privKey = secret(o.privKey, `${where}: options.privKey`);
  const implied: SecurityLevel = privKey ? "authPriv" : authKey ? "authNoPriv" : "noAuthNoPriv";
  const level = oneOf(o.level, LEVELS, implied, `${where}: options.level`);
  if (level !== "noAuthNoPriv" && !authKey) throw new Error(`${where}: level ${level} needs options.authKey`);
  if (level === "authPriv" && !privKey) throw new Error(`${where}: level authPriv needs options.privKey`);
  const user: SnmpV3User = { name, level };
  if (level !== "noAuthNoPriv") {
    user.authProtocol = oneOf(o.authProtocol, AUTH, "sha", `${where}: options.authProtocol`);
    user.authKey = authKey;
  }
  if (level === "authPriv") {
    user.privProtocol = oneOf(o.privProtocol, PRIV, "aes", `${where}: options.privProtocol`);
    user.privKey = privKey;
  }
  return user;
}

/** Throws an Error naming the device and the bad setting; never echoes a key or community. */
export function parseSnmpSettings(
  device: Pick<DeviceSpec, "thing" | "address" | "options" | "timeoutMs">,
): SnmpSettings {
  const where = `SNMP device "${device.thing}"`;
  const o = device.options ?? {};
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key))
      throw new Error(`${where}: unknown option "${key}" (allowed: ${[...KNOWN].join(", ")})`);
  }
  const { host, port } = parseHostPort(device.address, where);
  const rawVersion = String(o.version ?? "2c")
    .toLowerCase()
    .replace(/^v/, "");
  const version = rawVersion === "2" || rawVersion === "2c" ? "2c" : rawVersion === "3" ? "3" : undefined;
  if (!version) throw new Error(`${where}: options.version "${String(o.version)}" must be 2c or 3`);
  if (o.community !== undefined && typeof o.community !== "string") {
    throw new Error(`${where}: options.community must be a string`);
  }
  const retries = count(o.retries, 1, 0, 5, `${where}: options.retries`);
  const timeoutMs = Math.max(1, Math.floor(device.timeoutMs / (retries + 1)));
  return {
    host,
    port,
    transport: host.includes(":") ? "udp6" : "udp4",
    version,
    community: typeof o.community === "string" ? o.community : "public",
    user: version === "3" ? parseUser(o, where) : undefined,
    context: typeof o.context === "string" ? o.context : "",
    timeoutMs,
    retries,
    maxRepetitions: count(o.maxRepetitions, 20, 1, 200, `${where}: options.maxRepetitions`),
    maxVarbinds: count(o.maxVarbinds, 32, 1, 500, `${where}: options.maxVarbinds`),
    maxRows: count(o.maxRows, 10000, 1, 1_000_000, `${where}: options.maxRows`),
  };
}
