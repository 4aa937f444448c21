import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LatencyTraceFile } from "../../broker/metrics/latency-trace.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode } from "../helpers/node.ts";

/**
 * UMBRA_LATENCY_TRACE on a real node (commit worker, SQLite, MQTT): the timeline it writes when it
 * stops holds the batches that committed the updates, the worker's checkpoints and the retention ticks.
 */
const dir = mkdtempSync(join(tmpdir(), "umbra-trace-it-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("latency trace of a running node", () => {
  it("records every committed request's batch, the checkpoints after answers and the retention ticks", async () => {
    const saved = process.env.UMBRA_LATENCY_TRACE;
    process.env.UMBRA_LATENCY_TRACE = dir;
    let node: Awaited<ReturnType<typeof startTestNode>>;
    try {
      node = await startTestNode({ historyPruneIntervalMs: 50 });
    } finally {
      if (saved === undefined) delete process.env.UMBRA_LATENCY_TRACE;
      else process.env.UMBRA_LATENCY_TRACE = saved;
    }
    const started = Date.now();
    const client = await connectClient(node.mqttUrl);
    const inbox = new Inbox(client);
    const base = "$aws/things/trace-1/shadow/update";
    await client.subscribeAsync(`${base}/accepted`, { qos: 1 });
    const updates = 12;
    for (let i = 0; i < updates; i++) {
      await client.publishAsync(base, JSON.stringify({ state: { reported: { n: i } } }), { qos: 1 });
      await inbox.next(`${base}/accepted`);
      // Apart by more than the worker's checkpoint interval (50 ms), so it checkpoints after answers.
      await new Promise((r) => setTimeout(r, 70));
    }
    await client.endAsync();
    await node.stop();

    const files = readdirSync(dir);
    expect(files).toEqual([`node-${process.pid}.json`]);
    const trace = JSON.parse(readFileSync(join(dir, files[0] as string), "utf8")) as LatencyTraceFile;
    expect(trace.dropped).toBe(0);
    const batches = trace.events.filter((e) => e[0] === "batch");
    // Every update waited in a batch (requests that changed nothing may add more).
    expect(batches.reduce((n, b) => n + (b[6] as number), 0)).toBeGreaterThanOrEqual(updates);
    for (const b of batches) {
      expect(b[1]).toBeGreaterThanOrEqual(started - 1000);
      expect(b[1]).toBeLessThanOrEqual(Date.now());
      expect(b[3]).toBeGreaterThanOrEqual((b[4] as number) + (b[5] as number) - 0.01);
    }
    expect(trace.events.some((e) => e[0] === "checkpoint")).toBe(true);
    expect(trace.events.some((e) => e[0] === "task" && e[3] === "retention")).toBe(true);
  }, 60_000);
});
