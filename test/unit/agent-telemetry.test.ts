import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { parseNetDev } from "../../device-agent/agent/proc.ts";
import { startTelemetry, TelemetrySampler, telemetryTopic } from "../../device-agent/agent/telemetry.ts";

interface Sample {
  thing: string;
  ts: number;
  uptimeSeconds: number;
  load: number[];
  cpu: { percent: number | null; count: number };
  memory: { totalBytes: number; availableBytes: number; usedBytes: number; percent: number };
  disks: Record<string, { sizeBytes: number; usedBytes: number; availBytes: number; percent: number }>;
  net: Record<string, { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>;
}

function burnCpu(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

describe("telemetry samples are this machine's values", () => {
  it("memory, load, disks and network counters match /proc and statfs", async () => {
    const sampler = new TelemetrySampler();
    const netBefore = parseNetDev(readFileSync("/proc/net/dev", "utf8"));
    const s = (await sampler.sample("host-1")) as unknown as Sample;
    const netAfter = parseNetDev(readFileSync("/proc/net/dev", "utf8"));
    expect(s.thing).toBe("host-1");
    expect(Math.abs(s.ts - Date.now())).toBeLessThan(2000);
    expect(Math.abs(s.uptimeSeconds - os.uptime())).toBeLessThan(2);
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
    expect(s.memory.totalBytes).toBe(memTotal);
    expect(s.memory.usedBytes + s.memory.availableBytes).toBe(memTotal);
    expect(s.memory.percent).toBeGreaterThan(0);
    expect(s.memory.percent).toBeLessThanOrEqual(100);
    // Load averages move slowly: within 0.5 of a fresh reading.
    const load = os.loadavg();
    for (const [i, l] of s.load.entries()) expect(Math.abs(l - (load[i] ?? 0))).toBeLessThan(0.5);
    expect(s.cpu.count).toBe(os.cpus().length);
    expect(Object.keys(s.disks).length).toBeGreaterThan(0);
    for (const [mount, d] of Object.entries(s.disks)) {
      const st = statfsSync(mount);
      expect(d.sizeBytes).toBe(st.blocks * st.bsize);
      expect(d.usedBytes).toBe((st.blocks - st.bfree) * st.bsize);
      expect(d.percent).toBeGreaterThanOrEqual(0);
      expect(d.percent).toBeLessThanOrEqual(100);
    }
    // Counters are read between two reads of /proc/net/dev: within their range.
    expect(Object.keys(s.net).length).toBeGreaterThan(0);
    expect(s.net.lo).toBeUndefined();
    for (const [name, c] of Object.entries(s.net)) {
      const b = netBefore.get(name);
      const a = netAfter.get(name);
      expect(b && a).toBeTruthy();
      expect(c.rxBytes).toBeGreaterThanOrEqual(b?.rxBytes ?? Number.NaN);
      expect(c.rxBytes).toBeLessThanOrEqual(a?.rxBytes ?? Number.NaN);
      expect(c.txBytes).toBeGreaterThanOrEqual(b?.txBytes ?? Number.NaN);
      expect(c.txBytes).toBeLessThanOrEqual(a?.txBytes ?? Number.NaN);
    }
  });

  it("CPU % comes from /proc/stat deltas: a busy loop shows up", async () => {
    const sampler = new TelemetrySampler();
    burnCpu(400);
    const busy = (await sampler.sample("h")) as unknown as Sample;
    // One core of `count` was busy the whole time: at least most of 1/count of the machine.
    expect(busy.cpu.percent).not.toBeNull();
    expect(busy.cpu.percent ?? 0).toBeGreaterThanOrEqual((100 / os.cpus().length) * 0.5);
    expect(busy.cpu.percent ?? 0).toBeLessThanOrEqual(100);
  });

  it("publishes at the interval on things/{thing}/telemetry, first at once, until stopped", async () => {
    const got: { at: number; payload: Sample }[] = [];
    const started = Date.now();
    let failures = 0;
    const loop = startTelemetry({
      thing: "host-9",
      intervalMs: 150,
      publish: async (sample) => {
        got.push({ at: Date.now() - started, payload: sample as unknown as Sample });
        // A failing publish (offline) must not stop the loop.
        if (got.length === 2) throw new Error("offline");
      },
      onError: () => failures++,
    });
    const deadline = Date.now() + 5000;
    while (got.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    loop.stop();
    const count = got.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(got.length).toBe(count);
    expect(count).toBeGreaterThanOrEqual(4);
    expect(failures).toBe(1);
    expect(telemetryTopic("host-9")).toBe("things/host-9/telemetry");
    expect(got[0]?.at).toBeLessThan(150);
    // Samples are spaced by about the interval (not bunched, not skipped).
    for (let i = 1; i < 4; i++) {
      const gap = (got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThan(1000);
    }
  });
});
