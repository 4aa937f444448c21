import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LatencyTrace, type LatencyTraceFile, traceTask } from "../../broker/metrics/latency-trace.ts";
import type { CheckpointReport } from "../../broker/shadow/commit-thread.ts";
import type { BatchTiming, GroupCommit } from "../../broker/shadow/group-commit.ts";

describe("LatencyTrace (UMBRA_LATENCY_TRACE)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("records batches and checkpoints in ms since the epoch, writes them on stop and detaches", () => {
    const dir = mkdtempSync(join(tmpdir(), "umbra-trace-"));
    dirs.push(dir);
    const commits = {
      batchObservers: [] as ((size: number, ms: number, t?: BatchTiming) => void)[],
      checkpointObservers: [] as ((r: CheckpointReport) => void)[],
    };
    const trace = new LatencyTrace(dir, commits as unknown as GroupCommit);
    expect(commits.batchObservers).toHaveLength(1);
    const startedAt = performance.now();
    const timing: BatchTiming = {
      startedAt,
      requests: 3,
      queueMs: 1.5,
      prepareMs: 0.2,
      commitMs: 0.4,
      syncMs: 2,
      handoffMs: 0.1,
      queuesMs: [1.5, 1, 0.5],
    };
    for (const observe of commits.batchObservers) observe(3, 0.4, timing);
    // Inline commits (no timing) are not traced.
    for (const observe of commits.batchObservers) observe(1, 0.3);
    const at = Date.now();
    for (const observe of commits.checkpointObservers) observe({ ms: 4, frames: 900, at });
    const taskStarted = performance.now();
    traceTask("views", taskStarted);
    const path = trace.stop();
    // After stop nothing records (and nothing throws).
    traceTask("retention", performance.now());
    expect(commits.batchObservers).toHaveLength(0);
    expect(commits.checkpointObservers).toHaveLength(0);
    const file = JSON.parse(readFileSync(path, "utf8")) as LatencyTraceFile;
    expect(path).toBe(join(dir, `node-${process.pid}.json`));
    expect(file.dropped).toBe(0);
    const batch = file.events.find((e) => e[0] === "batch");
    expect(batch?.slice(2)).toEqual([0.2, 2.5, 0.4, 2, 3, 1.5]);
    expect(Math.abs((batch?.[1] ?? 0) - (performance.timeOrigin + startedAt))).toBeLessThan(1e-6);
    expect(file.events.filter((e) => e[0] === "batch")).toHaveLength(1);
    expect(file.events.find((e) => e[0] === "checkpoint")).toEqual(["checkpoint", at, 4, 900]);
    const tasks = file.events.filter((e) => e[0] === "task");
    expect(tasks.map((t) => t[3])).toEqual(["views"]);
    expect(Math.abs((tasks[0]?.[1] ?? 0) - (performance.timeOrigin + taskStarted))).toBeLessThan(1e-6);
  });
});
