import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelemetryExtension } from "../../broker/telemetry/extension.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/** `umbra telemetry` as a user runs it: a child process against a real node's HTTP API. */
let node: TestNode;

beforeAll(async () => {
  node = await startTestNode();
  const telemetry = node.extensions.get("telemetry") as TelemetryExtension;
  const now = Date.now();
  // 30 minutes of one sample a minute, a rising then falling ramp.
  const samples = Array.from({ length: 30 }, (_, i) => [
    { metric: "watts", value: i < 15 ? 100 + i * 10 : 390 - i * 10, ts: now - (30 - i) * 60_000 },
    { metric: "psu/1/volts", value: 230 + (i % 2), ts: now - (30 - i) * 60_000 },
  ]).flat();
  telemetry.record("pdu-1", samples);
  telemetry.flush();
});

afterAll(async () => {
  await node?.stop();
});

describe("umbra telemetry", () => {
  it("prints sparklines, a table and JSON, and explains bad options", async () => {
    const url = ["--url", node.httpUrl];
    const [spark, table, json, badSince, none, longRange, help] = await Promise.all([
      runUmbra(["telemetry", "pdu-1", ...url]),
      runUmbra([
        "telemetry",
        "pdu-1",
        "--metric",
        "watts",
        "--since",
        "10m",
        "--step",
        "5m",
        "--table",
        ...url,
      ]),
      runUmbra(["telemetry", "pdu-1", "-m", "psu/1/volts", "--json", ...url]),
      runUmbra(["telemetry", "pdu-1", "--since", "soon", ...url]),
      runUmbra(["telemetry", "nobody", ...url]),
      runUmbra(["telemetry", "pdu-1", "-m", "watts", "--since", "1000d", "--table", ...url]),
      runUmbra(["telemetry", "--help"]),
    ]);
    expect(spark.code, spark.stderr).toBe(0);
    const lines = spark.stdout.trim().split("\n");
    expect(lines[0]).toBe("pdu-1: last 1h, step raw");
    expect(lines[1]).toMatch(/^metric\s+last\s+min\s+max\s+points$/);
    const watts = lines.find((l) => l.startsWith("watts")) as string;
    // The ramp: min 100, max 240, last 100; the sparkline rises then falls.
    expect(watts).toMatch(/^watts\s+100\s+100\s+240\s+30\s+[▁-█]{30}$/);
    const line = watts.split(/\s+/).at(-1) as string;
    expect(line[0]).toBe("▁");
    expect(line).toContain("█");
    expect(line.at(-1)).toBe("▁");
    expect(lines.some((l) => /^psu\/1\/volts\s+231\s+230\s+231\s+30\s/.test(l))).toBe(true);

    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^pdu-1: last 10m, step 5m\nwatts\ntime \(UTC\)\s+avg\s+min\s+max\s+last\s+count\n/,
    );
    const counts = table.stdout
      .trim()
      .split("\n")
      .slice(3)
      .map((l) => Number(l.split(/\s+/).at(-1)));
    // Buckets are whole 5-minute buckets: the first one starts at or before `from` (10-14 samples).
    expect(counts.every((c) => c >= 1 && c <= 5)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(14);

    expect(json.code, json.stderr).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.series[0].metric).toBe("psu/1/volts");
    expect(body.series[0].points).toHaveLength(30);

    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since must be a duration like 15m/);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe("no telemetry for nobody in the last 1h\n");
    // A long range gets a wider step rather than a refusal.
    expect(longRange.code, longRange.stderr).toBe(0);
    expect(longRange.stdout).toMatch(/^pdu-1: last 1000d, step 3h\n/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--since <duration>/);
    expect(help.stdout.endsWith("--table\n")).toBe(true);
  });
});
