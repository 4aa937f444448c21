import { readFileSync } from "node:fs";

/**
 * Parsers for the Linux /proc and /etc files the agent reads. Pure functions of the file text, so
 * the tests can check them against fixed input as well as against this machine.
 */

/** Reads a file, or undefined when it does not exist (not Linux, or a restricted container). */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** /proc/meminfo → bytes per field (the file says kB, meaning KiB). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]) * (line.includes("kB") ? 1024 : 1));
  }
  return out;
}

export interface CpuTimes {
  /** Jiffies spent idle (idle + iowait). */
  idle: number;
  /** All jiffies (user … steal; guest time is already inside user/nice). */
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Busy share between two samples, in percent (0–100), or null when no time passed. */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number | null {
  const total = cur.total - prev.total;
  if (total <= 0) return null;
  const busy = total - (cur.idle - prev.idle);
  return Math.round((Math.min(Math.max(busy / total, 0), 1) * 100 + Number.EPSILON) * 10) / 10;
}

export interface NetCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** /proc/net/dev → counters per interface. */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 10 || f.some((n) => !Number.isFinite(n))) continue;
    out.set(name, { rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, txBytes: f[8] ?? 0, txPackets: f[9] ?? 0 });
  }
  return out;
}

export interface Mount {
  source: string;
  mountPoint: string;
  fsType: string;
}

/** /proc/mounts; octal escapes (`\040` for a space) in paths are decoded. */
export function parseMounts(text: string): Mount[] {
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const [source, mountPoint, fsType] = line.split(" ");
    if (source && mountPoint && fsType) {
      out.push({ source: decode(source), mountPoint: decode(mountPoint), fsType });
    }
  }
  return out;
}

/**
 * File systems that hold data. Everything else in /proc/mounts (proc, sysfs, cgroup, tmpfs, devpts,
 * overlay layers of other containers' …) is the kernel's or is memory, and would only be noise in a
 * host's facts. `overlay` is kept: it is the root file system of a container.
 */
const REAL_FS = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "zfs",
  "vfat",
  "exfat",
  "ntfs",
  "ntfs3",
  "f2fs",
  "jfs",
  "reiserfs",
  "hfsplus",
  "bcachefs",
  "fuseblk",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "ceph",
  "glusterfs",
  "overlay",
]);

/** Real file systems, one entry per source (bind mounts of the same device keep the shortest mount point). */
export function realMounts(mounts: Mount[]): Mount[] {
  const bySource = new Map<string, Mount>();
  for (const m of mounts) {
    if (!REAL_FS.has(m.fsType)) continue;
    // overlay/nfs sources are not unique devices ("overlay", "server:/export" may repeat): key by mount point then.
    const key = m.source.startsWith("/dev/") ? m.source : `${m.source}@${m.mountPoint}`;
    const seen = bySource.get(key);
    if (!seen || m.mountPoint.length < seen.mountPoint.length) bySource.set(key, m);
  }
  return [...bySource.values()].sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

/** /etc/os-release → its key/value pairs (quotes removed). */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out.set(m[1], m[2].replace(/^(["'])(.*)\1$/, "$2"));
  }
  return out;
}

/** The model of the first CPU in /proc/cpuinfo (x86 `model name`, ARM `Model`/`Hardware`). */
export function parseCpuModel(text: string): string | undefined {
  for (const key of ["model name", "Model", "Hardware", "cpu model", "uarch"]) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(text);
    if (m?.[1]) return m[1].trim();
  }
  return undefined;
}
