import { statfs } from "node:fs/promises";
import os from "node:os";
import type { JsonObject } from "../../shared/json.ts";
import { parseCpuModel, parseMeminfo, parseMounts, parseOsRelease, readText, realMounts } from "./proc.ts";
import { AGENT_VERSION } from "./version.ts";

/**
 * Host facts: what this machine is, reported once at start (and again when something other than the
 * uptime changes). Everything here is read from the machine — `os`, /proc and /etc/os-release.
 *
 * The shadow's state is capped (8 KiB by default), so lists are bounded: a container host with
 * hundreds of veth interfaces must not push the facts over the limit.
 */
export const MAX_INTERFACES = 32;
export const MAX_ADDRESSES = 8;
export const MAX_DISKS = 32;
/** A hung network file system must not stall the agent: its statfs is given up after this long. */
const STATFS_TIMEOUT_MS = 2000;

export interface DiskFacts extends JsonObject {
  mount: string;
  source: string;
  fsType: string;
  sizeBytes: number;
}

export interface DiskUsage extends JsonObject {
  sizeBytes: number;
  usedBytes: number;
  availBytes: number;
  percent: number;
}

/** statfs of a mount point, or undefined when it fails or takes too long. */
export async function diskUsage(mountPoint: string): Promise<DiskUsage | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), STATFS_TIMEOUT_MS);
  });
  try {
    const s = await Promise.race([statfs(mountPoint).catch(() => undefined), timeout]);
    if (!s) return undefined;
    const size = s.blocks * s.bsize;
    // `df` semantics: used = total - free; avail is what an unprivileged user may still use.
    const used = (s.blocks - s.bfree) * s.bsize;
    const avail = s.bavail * s.bsize;
    const percent = used + avail > 0 ? Math.round((used / (used + avail)) * 1000) / 10 : 0;
    return { sizeBytes: size, usedBytes: used, availBytes: avail, percent };
  } finally {
    clearTimeout(timer);
  }
}

/** Real file systems from /proc/mounts with their sizes. */
export async function readDisks(): Promise<DiskFacts[]> {
  const mounts = realMounts(parseMounts(readText("/proc/mounts") ?? "")).slice(0, MAX_DISKS);
  const out: DiskFacts[] = [];
  for (const m of mounts) {
    const usage = await diskUsage(m.mountPoint);
    if (usage)
      out.push({ mount: m.mountPoint, source: m.source, fsType: m.fsType, sizeBytes: usage.sizeBytes });
  }
  return out;
}

/** Non-loopback interfaces with their addresses in CIDR notation. */
export function readInterfaces(): JsonObject {
  const out: JsonObject = {};
  const entries = Object.entries(os.networkInterfaces())
    .filter(([, addrs]) => addrs?.some((a) => !a.internal))
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, MAX_INTERFACES);
  for (const [name, addrs = []] of entries) {
    const mac = addrs.find((a) => a.mac && a.mac !== "00:00:00:00:00:00")?.mac;
    out[name] = {
      ...(mac ? { mac } : {}),
      addresses: addrs
        .filter((a) => !a.internal)
        .slice(0, MAX_ADDRESSES)
        .map((a) => a.cidr ?? a.address),
    };
  }
  return out;
}

/** Boot time from /proc/stat (exact and stable), else derived from the uptime. */
function bootedAt(): string {
  const btime = /^btime (\d+)$/m.exec(readText("/proc/stat") ?? "")?.[1];
  const seconds = btime ? Number(btime) : Math.round(Date.now() / 1000 - os.uptime());
  return new Date(seconds * 1000).toISOString();
}

function osFacts(): JsonObject {
  const release = parseOsRelease(readText("/etc/os-release") ?? readText("/usr/lib/os-release") ?? "");
  const out: JsonObject = { platform: os.platform(), type: os.type() };
  const name = release.get("PRETTY_NAME") ?? release.get("NAME");
  if (name) out.name = name;
  const id = release.get("ID");
  if (id) out.id = id;
  const version = release.get("VERSION_ID");
  if (version) out.version = version;
  return out;
}

export interface HostFacts extends JsonObject {
  hostname: string;
  os: JsonObject;
  kernel: string;
  arch: string;
  cpu: { model: string; count: number };
  memory: { totalBytes: number; swapTotalBytes: number };
  disks: DiskFacts[];
  interfaces: JsonObject;
  uptimeSeconds: number;
  bootedAt: string;
}

export async function readHostFacts(): Promise<HostFacts> {
  const cpus = os.cpus();
  const meminfo = parseMeminfo(readText("/proc/meminfo") ?? "");
  const model = cpus[0]?.model?.trim() || parseCpuModel(readText("/proc/cpuinfo") ?? "") || "unknown";
  return {
    hostname: os.hostname(),
    os: osFacts(),
    kernel: os.release(),
    arch: os.arch(),
    cpu: { model, count: cpus.length },
    memory: { totalBytes: os.totalmem(), swapTotalBytes: meminfo.get("SwapTotal") ?? 0 },
    disks: await readDisks(),
    interfaces: readInterfaces(),
    uptimeSeconds: Math.floor(os.uptime()),
    bootedAt: bootedAt(),
  };
}

/** The `agent` section of reported: who is reporting, and which desired paths it acts on. */
export function agentFacts(handlers: { name: string; desired: string }[]): JsonObject {
  return {
    version: AGENT_VERSION,
    node: process.version,
    // Each handler's entry also receives its last outcome (status, message, observedVersion).
    handlers: Object.fromEntries(handlers.map((h) => [h.name, { desired: h.desired }])),
  };
}

/** Facts compared for change, ignoring the ever-growing uptime (re-reporting it would churn the shadow). */
export function factsKey(facts: HostFacts): string {
  const { uptimeSeconds: _, ...rest } = facts;
  return JSON.stringify(rest);
}
