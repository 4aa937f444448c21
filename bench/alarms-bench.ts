/**
 * Alarms benchmark (issue 15): 10,000 things × 10 rules with 1 Hz telemetry, and the shadow path with
 * and without alarm rules. Prints figures and ratios against a baseline measured in the same run.
 *
 *   npx tsx bench/alarms-bench.ts [--things 10000] [--seconds 10] [--updates 3000]
 *
 * 1. Evaluation: the engine (real AlarmStore on a real umbra.db) is fed one second of telemetry at a
 *    time (each thing one batch of 10 metrics, every rule watching one metric; ~1 % of things over a
 *    threshold, some flapping) plus the once-a-second timer; CPU time per simulated second is the
 *    share of a core. Ingest itself (MQTT, parsing, the writer) is the telemetry capability's cost
 *    and is not counted here.
 * 2. Shadow path: the same reported updates through ShadowService on an in-process node, without
 *    rules and then with 10 record rules over a 10,000-thing system, alternated; best of each.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AlarmEngine } from "../broker/alarms/alarm-engine.ts";
import { AlarmStore } from "../broker/alarms/alarm-store.ts";
import type { AlarmsExtension } from "../broker/alarms/extension.ts";
import { loadConfig } from "../broker/config-load.ts";
import type { FleetExtension } from "../broker/fleet/extension.ts";
import { startNode } from "../broker/node.ts";
import { openDatabase } from "../broker/store/database.ts";
import { parseRulesFile } from "../shared/alarms-rules.ts";
import { createLogger } from "../shared/logger.ts";
import type { TelemetrySample } from "../shared/telemetry.ts";

const { values } = parseArgs({
  options: {
    things: { type: "string", default: "10000" },
    seconds: { type: "string", default: "10" },
    updates: { type: "string", default: "3000" },
  },
});
const THINGS = Number(values.things);
const SECONDS = Number(values.seconds);
const UPDATES = Number(values.updates);
const names = Array.from({ length: THINGS }, (_, i) => `dev-${i}`);

function telemetryRules(): string {
  const lines = ["system: bench", "rules:"];
  for (let m = 0; m < 10; m++)
    lines.push(`  - { name: r${m}, kind: telemetry, metric: m${m}, above: 99, for: 2s }`);
  return lines.join("\n");
}

function recordRules(): string {
  return `system: bench
rules:
  - { name: r0, kind: reported, path: load, above: 99 }
  - { name: r1, kind: reported, path: temp, above: 70, for: 1m }
  - { name: r2, kind: reported, path: fan, equals: failed }
  - { name: r3, kind: reported, path: psu.ok, equals: false }
  - { name: r4, kind: reported, path: mode, notEquals: auto }
  - { name: r5, kind: offline, for: 5m }
  - { name: r6, kind: unreachable, for: 1m }
  - { name: r7, kind: not-converged, for: 10m }
  - { name: r8, kind: conflicts }
  - { name: r9, kind: reported, path: volts, below: 200 }
`;
}

function evaluationCost(): void {
  const dir = mkdtempSync(join(tmpdir(), "umbra-alarms-bench-"));
  const db = openDatabase(dir);
  const store = new AlarmStore(db);
  let now = Date.now();
  let raised = 0;
  const engine = new AlarmEngine(
    store,
    { record: () => undefined, systemsOf: () => ["bench"], things: () => [] },
    { site: "bench", now: () => now, latest: () => ({}), changed: () => raised++ },
  );
  engine.setRules(parseRulesFile("bench.yaml", telemetryRules()).rules);
  const batch = (thing: number, second: number): TelemetrySample[] =>
    Array.from({ length: 10 }, (_, m) => ({
      metric: `m${m}`,
      // 1 % of things sit above the threshold; every 7th of those dips every other 3 s (flapping).
      value: thing % 100 === 0 && !(thing % 700 === 0 && second % 3 === 0) ? 100 : 50 + ((thing + m) % 40),
      ts: now,
    }));
  // Warm-up second (JIT), not counted.
  for (let t = 0; t < THINGS; t++) engine.samples(names[t] as string, batch(t, 0));
  const before = process.cpuUsage();
  const wall = performance.now();
  const evaluationsBefore = engine.evaluations;
  for (let s = 1; s <= SECONDS; s++) {
    now += 1000;
    for (let t = 0; t < THINGS; t++) engine.samples(names[t] as string, batch(t, s));
    engine.tick();
  }
  const cpu = process.cpuUsage(before);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const perSecond = cpuMs / SECONDS;
  console.log(
    `evaluation: ${THINGS} things × 10 rules, 1 Hz: ${(engine.evaluations - evaluationsBefore) / SECONDS} evaluations/s, ` +
      `${perSecond.toFixed(1)} ms CPU per second = ${((perSecond / 1000) * 100).toFixed(1)} % of a core ` +
      `(wall ${((performance.now() - wall) / SECONDS).toFixed(1)} ms/s; ${raised} transitions; target ≤ 20 %)`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Time spent inside the engine's shadow-change evaluation during the measured runs (with rules). */
const inEngine = { ms: 0, cpuMs: 0 };

async function shadowRun(withRules: boolean): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "umbra-alarms-bench-node-"));
  const rules = mkdtempSync(join(tmpdir(), "umbra-alarms-bench-rules-"));
  writeFileSync(join(rules, "bench.yaml"), recordRules());
  const config = {
    ...loadConfig({
      flags: {
        mqttPort: 0,
        httpPort: 0,
        site: "bench",
        host: "127.0.0.1",
        allowAnonymous: true,
        requestRate: 1_000_000,
      },
    }),
    dataDir,
    ...(withRules ? { alarmRules: rules } : {}),
  };
  const node = await startNode(config, createLogger("silent"));
  let measuring = false;
  if (withRules) {
    (node.extensions.get("fleet") as FleetExtension).fleet.systems.put("bench", { things: names });
    const engine = (node.extensions.get("alarms") as AlarmsExtension).service.engine;
    const original = engine.thingChanged.bind(engine);
    engine.thingChanged = (thing, record) => {
      const t = performance.now();
      original(thing, record);
      if (measuring) inEngine.ms += performance.now() - t;
    };
  }
  const run = async (n: number, offset: number) => {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const thing = names[(i + offset) % THINGS] as string;
        const body = {
          state: { reported: { load: (i % 97) + 1, temp: 40 + (i % 20), mode: "auto", volts: 230 } },
        };
        const r = await node.service.update({ thing, shadow: "" }, JSON.stringify(body));
        if (!r.ok) throw new Error(JSON.stringify(r.error));
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
  };
  await run(Math.min(500, UPDATES), 0);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  measuring = true;
  await run(UPDATES, 5000);
  measuring = false;
  const rate = UPDATES / ((performance.now() - t0) / 1000);
  if (withRules) {
    const c = process.cpuUsage(cpu0);
    inEngine.cpuMs += (c.user + c.system) / 1000;
  }
  await node.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(rules, { recursive: true, force: true });
  return rate;
}

async function shadowCost(): Promise<void> {
  const base: number[] = [];
  const alarms: number[] = [];
  for (let round = 0; round < 3; round++) {
    base.push(await shadowRun(false));
    alarms.push(await shadowRun(true));
  }
  const b = Math.max(...base);
  const a = Math.max(...alarms);
  console.log(
    `shadow path: ${UPDATES} reported updates, 32 in flight: without rules ${b.toFixed(0)}/s, ` +
      `with 10 rules over ${THINGS} things ${a.toFixed(0)}/s: ratio ${(a / b).toFixed(3)} ` +
      `(slowdown ${((1 - a / b) * 100).toFixed(1)} %; target ≤ 10 %) [runs: ${base.map((x) => x.toFixed(0))} / ${alarms.map((x) => x.toFixed(0))}]`,
  );
  console.log(
    `shadow path, direct: rule evaluation on shadow changes took ${inEngine.ms.toFixed(0)} ms of ` +
      `${inEngine.cpuMs.toFixed(0)} ms process CPU in the runs with rules = ${((inEngine.ms / inEngine.cpuMs) * 100).toFixed(1)} % ` +
      `(${((inEngine.ms * 1000) / (UPDATES * 3)).toFixed(1)} µs per update)`,
  );
}

evaluationCost();
await shadowCost();
