import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { agentFacts, factsKey, readHostFacts } from "../../device-agent/agent/facts.ts";
import {
  cpuPercent,
  parseCpuModel,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseOsRelease,
  parseProcStat,
  realMounts,
} from "../../device-agent/agent/proc.ts";
import { AGENT_VERSION } from "../../device-agent/agent/version.ts";

// The agent's facts come from Linux's /proc: on another OS these tests fail rather than skip.
describe("host facts are this machine's real values", () => {
  it("match the os module and /proc", async () => {
    const before = os.uptime();
    const facts = await readHostFacts();
    const after = os.uptime();
    expect(facts.hostname).toBe(os.hostname());
    expect(facts.hostname).toBe(readFileSync("/proc/sys/kernel/hostname", "utf8").trim());
    expect(facts.kernel).toBe(os.release());
    expect(facts.kernel).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
    expect(facts.arch).toBe(os.arch());
    expect(facts.cpu.count).toBe(os.cpus().length);
    // /proc/cpuinfo has one "processor" line per logical CPU.
    expect(facts.cpu.count).toBe(
      (readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm) ?? []).length,
    );
    expect(facts.cpu.model).toBe(os.cpus()[0]?.model.trim());
    expect(facts.cpu.model).not.toBe("unknown");
    expect(facts.memory.totalBytes).toBe(os.totalmem());
    const memTotalKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]);
    expect(facts.memory.totalBytes).toBe(memTotalKb * 1024);
    // Uptime is read between the two samples (whole seconds, so allow one second of rounding).
    expect(facts.uptimeSeconds).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect(facts.uptimeSeconds).toBeLessThanOrEqual(Math.ceil(after) + 1);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    expect(facts.bootedAt).toBe(new Date(btime * 1000).toISOString());
    expect(facts.os.platform).toBe("linux");
    const prettyName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (prettyName) expect(facts.os.name).toBe(prettyName);
  });

  it("lists every non-loopback interface with its addresses", async () => {
    const facts = await readHostFacts();
    const expected = Object.entries(os.networkInterfaces()).filter(([, a]) => a?.some((x) => !x.internal));
    expect(expected.length).toBeGreaterThan(0); // this test needs a machine with a network interface
    expect(Object.keys(facts.interfaces).sort()).toEqual(expected.map(([n]) => n).sort());
    for (const [name, addrs = []] of expected) {
      const iface = facts.interfaces[name] as { addresses: string[] };
      expect(iface.addresses).toEqual(addrs.filter((a) => !a.internal).map((a) => a.cidr));
    }
    const all = Object.values(facts.interfaces).flatMap((i) => (i as { addresses: string[] }).addresses);
    expect(all.some((a) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(a) || a.includes(":"))).toBe(true);
    // /proc/net/dev knows every interface the facts name.
    const dev = parseNetDev(readFileSync("/proc/net/dev", "utf8"));
    for (const name of Object.keys(facts.interfaces)) expect(dev.has(name)).toBe(true);
  });

  it("lists real file systems from /proc/mounts with statfs sizes, and no pseudo file systems", async () => {
    const facts = await readHostFacts();
    const mounts = parseMounts(readFileSync("/proc/mounts", "utf8"));
    expect(facts.disks.length).toBeGreaterThan(0);
    for (const d of facts.disks) {
      const m = mounts.find((x) => x.mountPoint === d.mount && x.source === d.source);
      expect(m?.fsType).toBe(d.fsType);
      const s = statfsSync(d.mount);
      expect(d.sizeBytes).toBe(s.blocks * s.bsize);
      expect(d.sizeBytes).toBeGreaterThan(0);
    }
    const types = new Set(facts.disks.map((d) => d.fsType));
    for (const pseudo of ["proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "cgroup", "cgroup2"]) {
      expect(types.has(pseudo)).toBe(false);
    }
    // The root file system is one of them when it is a real one (it is on any installed Linux).
    const root = mounts.filter((m) => m.mountPoint === "/").at(-1);
    if (root && realMounts([root]).length === 1) expect(facts.disks.map((d) => d.mount)).toContain("/");
  });

  it("stays under the shadow size limit and is stable apart from the uptime", async () => {
    const a = await readHostFacts();
    const b = await readHostFacts();
    expect(factsKey(a)).toBe(factsKey(b));
    expect(factsKey({ ...a, uptimeSeconds: a.uptimeSeconds + 100 })).toBe(factsKey(a));
    expect(factsKey({ ...a, hostname: "other" })).not.toBe(factsKey(a));
    const agent = agentFacts([{ name: "motd", desired: "motd" }]);
    expect(agent).toEqual({
      version: AGENT_VERSION,
      node: process.version,
      handlers: { motd: { desired: "motd" } },
    });
    expect(Buffer.byteLength(JSON.stringify({ host: a, agent }))).toBeLessThan(6000);
  });
});

describe("/proc parsers", () => {
  it("parse fixed input", () => {
    const mem = parseMeminfo(
      "MemTotal:       16318480 kB\nMemAvailable:    8000000 kB\nHugePages_Total:       0\n",
    );
    expect(mem.get("MemTotal")).toBe(16318480 * 1024);
    expect(mem.get("HugePages_Total")).toBe(0);
    expect(parseProcStat("cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 1 2 3 4\n")).toEqual({
      idle: 820,
      total: 981,
    });
    expect(cpuPercent({ idle: 100, total: 200 }, { idle: 150, total: 300 })).toBe(50);
    expect(cpuPercent({ idle: 100, total: 200 }, { idle: 100, total: 200 })).toBeNull();
    const net = parseNetDev(
      "Inter-|   Receive\n face |bytes packets\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n",
    );
    expect(net.get("eth0")).toEqual({ rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20 });
    const mounts = parseMounts(
      "/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/sda1 /var/lib/x ext4 rw 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\ntmpfs /run tmpfs rw 0 0\n",
    );
    expect(realMounts(mounts).map((m) => m.mountPoint)).toEqual(["/", "/mnt/my disk"]);
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n').get("VERSION_ID")).toBe(
      "12",
    );
    expect(parseCpuModel("processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n")).toBe("Intel(R) Xeon(R)");
    expect(parseCpuModel("processor : 0\nModel : Raspberry Pi 4 Model B Rev 1.4\n")).toBe(
      "Raspberry Pi 4 Model B Rev 1.4",
    );
  });
});
