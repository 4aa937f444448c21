import type { LoadFigures, LoadProgress, PhaseFigures } from "./load-run.ts";
import { COMMIT_PARTS } from "./node-metrics.ts";
import type { BenchOptions } from "./options.ts";
import type { StoredFigures } from "./stored-run.ts";

export interface Machine {
  cores: number;
  cpuModel: string;
  memTotalBytes: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started: a busy machine disturbs the figures. */
  loadAvgAtStart: number[];
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
}

export interface BenchResult {
  date: string;
  machine: Machine;
  options: BenchOptions;
  umbra: (LoadFigures & { startupMs: number; stopMs: number }) | null;
  baseline: LoadFigures | null;
  /** Umbra closed-loop accepted updates/s over bare aedes closed-loop echoed msgs/s. */
  ratio: number | null;
  stored: StoredFigures | null;
  targets: Target[];
  /** Whole-machine busy % of one core in the second before each part started (with --wait-idle). */
  busyBefore: Record<string, number>;
  /** Parts that failed (e.g. the broker died): the step they failed in and what was measured before. */
  failed: Record<string, LoadProgress>;
  errors: string[];
}

const MiB = 2 ** 20;
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const mib = (b: number) => `${f0(b / MiB)} MiB`;

function phaseRow(label: string, p: PhaseFigures | undefined): string[] {
  if (!p) return [label, "-", "-", "-", "-", "-", "-", "-"];
  const issues = p.rejected + p.unanswered > 0 ? ` (${p.rejected} rej, ${p.unanswered} lost)` : "";
  return [
    label,
    `${f0(p.perSecond)}${issues}`,
    f1(p.p50Ms),
    f1(p.p99Ms),
    f1(p.maxMs),
    `${f0(p.brokerCpuPct)}%`,
    `${f0(p.workersCpuPct)}%`,
    `${f0(p.foreignCpuPct)}%`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  "),
    )
    .join("\n");
}

/**
 * The project's targets. A target is judged only when the run had the conditions it names (at least
 * 2,000 updates/s offered, at least 100,000 stored shadows); a smaller run says "n/a", not PASS or FAIL.
 */
export function evaluateTargets(r: BenchResult): Target[] {
  const o = r.options;
  const hwm = r.stored?.hwmBytes;
  // A node that died before a phase was measured fails that phase's target; what it finished counts.
  const f = r.failed.umbra;
  const closed = r.umbra?.closed ?? f?.figures.closed;
  const open = r.umbra?.open ?? f?.figures.open;
  const diedBefore = (done: unknown) => (f && done === undefined ? `node died during ${f.during}` : null);
  const clean = (p: PhaseFigures) => p.rejected === 0 && p.unanswered === 0;
  const judge = (ran: boolean, atScale: boolean, ok: boolean) => (ran && atScale ? ok : null);
  const why = (ran: boolean, atScale: boolean, text: string, small: string) =>
    !ran ? "not run" : atScale ? text : `${text} (${small})`;
  const durable = closed ? `${f0(closed.perSecond)}/s` : "";
  const p99 = open ? `${f1(open.p99Ms)} ms` : "";
  // Issue 18's targets: p99 ≤ 20 ms at 2,000/s for update→accepted and for desired→delta, and the
  // closed loop at ≥ 0.5× bare aedes's QoS 1 echo measured in the same run.
  const openOk = open !== undefined && open.p99Ms <= 20 && clean(open);
  const delta = r.umbra?.delta ?? f?.figures.delta;
  const echo = r.baseline?.closed;
  return [
    {
      name: "durable shadow updates/s (closed loop)",
      target: ">= 5000/s",
      measured: diedBefore(closed) ?? why(closed !== undefined, true, durable, ""),
      pass: diedBefore(closed) ? false : closed ? closed.perSecond >= 5000 && clean(closed) : null,
    },
    {
      name: "closed loop against bare aedes (same run)",
      target: ">= 0.5x",
      measured: closed && echo ? `${(closed.perSecond / echo.perSecond).toFixed(3)}x` : "not run",
      pass: closed && echo ? closed.perSecond / echo.perSecond >= 0.5 && clean(closed) : null,
    },
    {
      name: "p99 update->accepted at 2000/s (open loop)",
      target: "<= 20 ms",
      measured: diedBefore(open) ?? why(open !== undefined, o.rate >= 2000, p99, `at only ${o.rate}/s`),
      pass: diedBefore(open) ? false : judge(open !== undefined, o.rate >= 2000, openOk),
    },
    {
      name: "p99 desired->delta at 2000/s",
      target: "<= 20 ms",
      measured:
        diedBefore(delta) ??
        why(
          delta !== undefined,
          o.deltaRate >= 2000,
          delta ? `${f1(delta.p99Ms)} ms` : "",
          `at only ${o.deltaRate}/s`,
        ),
      pass: diedBefore(delta)
        ? false
        : judge(
            delta !== undefined,
            o.deltaRate >= 2000,
            delta !== undefined && delta.p99Ms <= 20 && clean(delta),
          ),
    },
    {
      name: "node peak RSS with 100000 stored shadows",
      target: "<= 1024 MiB",
      measured: why(
        hwm !== undefined,
        o.stored >= 100_000,
        hwm === undefined ? "" : mib(hwm),
        `only ${o.stored} stored`,
      ),
      pass: judge(hwm !== undefined, o.stored >= 100_000, hwm !== undefined && hwm <= 1024 * MiB),
    },
  ];
}

export function renderReport(r: BenchResult): string {
  const out: string[] = [];
  const o = r.options;
  out.push(`Umbra shadow benchmark  ${r.date}`);
  out.push(
    `machine: ${r.machine.cores} cores (${r.machine.cpuModel}), ${mib(r.machine.memTotalBytes)} RAM, node ${r.machine.node}`,
  );
  out.push(
    `load average at start: ${r.machine.loadAvgAtStart.map((l) => l.toFixed(2)).join(" ")}; CPU columns are % of one core (${r.machine.cores * 100}% = all cores)`,
  );
  const busy = Object.entries(r.busyBefore);
  if (busy.length > 0)
    out.push(`machine busy before each part: ${busy.map(([k, v]) => `${k} ${f0(v)}%`).join(", ")}`);
  out.push(
    `devices ${o.devices} over ${o.workers} worker process(es), ${o.duration} s per phase, open loop ${o.rate}/s, desired ${o.deltaRate}/s`,
  );
  out.push("");
  const load = [
    ["phase", "replies/s", "p50 ms", "p99 ms", "max ms", "broker CPU", "clients CPU", "other CPU"],
  ];
  if (r.umbra) {
    load.push(phaseRow("umbra closed loop (update->accepted)", r.umbra.closed));
    load.push(phaseRow(`umbra open loop ${o.rate}/s (update->accepted)`, r.umbra.open));
    load.push(phaseRow(`umbra desired->delta ${o.deltaRate}/s`, r.umbra.delta));
  }
  const failedUmbra = r.failed.umbra?.figures;
  if (failedUmbra?.closed) load.push(phaseRow("umbra closed loop (update->accepted)", failedUmbra.closed));
  if (failedUmbra?.open)
    load.push(phaseRow(`umbra open loop ${o.rate}/s (update->accepted)`, failedUmbra.open));
  if (r.baseline) {
    load.push(phaseRow("aedes closed loop (publish->receive)", r.baseline.closed));
    load.push(phaseRow(`aedes open loop ${o.rate}/s`, r.baseline.open));
  }
  out.push(table(load));
  out.push("");
  if (r.umbra) {
    out.push(
      ...compositionReport([
        ["closed loop", r.umbra.closed],
        ["open loop", r.umbra.open],
        ["desired warm-up (not measured)", r.umbra.deltaWarmup],
        ["desired->delta", r.umbra.delta],
      ]),
    );
    out.push("");
  }
  const facts: string[][] = [["figure", "value"]];
  for (const [name, l] of [
    ["umbra", r.umbra],
    ["aedes", r.baseline],
  ] as const) {
    if (!l) continue;
    facts.push([`${name}: devices connected (failed)`, `${l.devices} (${l.connectFailed})`]);
    facts.push([`${name}: connect time`, `${f1(l.connectSeconds)} s (${f0(l.connectsPerSecond)}/s)`]);
    facts.push([
      `${name}: broker RSS after connect / peak / VmHWM`,
      `${mib(l.rssAfterConnectBytes)} / ${mib(l.rssPeakBytes)} / ${mib(l.hwmBytes)}`,
    ]);
    facts.push([`${name}: connections lost during the run`, String(l.disconnects)]);
  }
  for (const [name, f] of Object.entries(r.failed)) {
    const g = f.figures;
    facts.push([`${name}: FAILED during`, f.during]);
    if (g.devices !== undefined)
      facts.push([`${name}: devices connected (failed)`, `${g.devices} (${g.connectFailed})`]);
    if (g.connectSeconds !== undefined) {
      facts.push([
        `${name}: connect time`,
        `${f1(g.connectSeconds)} s (${f0(g.connectsPerSecond ?? Number.NaN)}/s)`,
      ]);
    }
    if (g.rssAfterConnectBytes !== undefined) {
      const peak = mib(g.rssPeakBytes ?? Number.NaN);
      facts.push([
        `${name}: broker RSS after connect / peak before failure`,
        `${mib(g.rssAfterConnectBytes)} / ${peak}`,
      ]);
    }
  }
  if (r.umbra)
    facts.push([
      "umbra: node start-up (empty store) / shutdown",
      `${f0(r.umbra.startupMs)} ms / ${f0(r.umbra.stopMs)} ms`,
    ]);
  if (r.ratio !== null) facts.push(["ratio umbra/aedes closed-loop throughput", r.ratio.toFixed(3)]);
  // CPU time per reply: comparable across runs on a shared machine, where replies/s are not.
  for (const [name, p] of [
    ["umbra", r.umbra?.closed],
    ["aedes", r.baseline?.closed],
  ] as const) {
    if (!p || p.perSecond <= 0) continue;
    const us = (pct: number) => f0((pct / 100 / p.perSecond) * 1e6);
    facts.push([
      `${name}: closed loop CPU µs per reply: broker (main thread) / clients`,
      `${us(p.brokerCpuPct)} (${us(p.brokerMainCpuPct ?? Number.NaN)}) / ${us(p.workersCpuPct)}`,
    ]);
  }
  const s = r.stored;
  if (s) {
    facts.push([`stored: shadows written (store API) / time`, `${s.shadows} / ${f1(s.fillSeconds)} s`]);
    facts.push(["stored: SQLite size", mib(s.dbBytes)]);
    facts.push(["stored: node start-up (spawn -> ready)", `${f0(s.startupMs)} ms`]);
    facts.push([
      "stored: RSS after start / after touch / peak / VmHWM",
      `${mib(s.rssAfterStartBytes)} / ${mib(s.rssAfterTouchBytes)} / ${mib(s.rssPeakBytes)} / ${mib(s.hwmBytes)}`,
    ]);
    const t = s.touch;
    facts.push([
      `stored: touch ${t.ops} random (${t.gets} get, ${t.updates} update), 64 in flight`,
      `${f0(t.perSecond)}/s, p50 ${f1(t.p50Ms)} ms, p99 ${f1(t.p99Ms)} ms, max ${f1(t.maxMs)} ms`,
    ]);
    facts.push(["stored: touch failures / unanswered", `${t.failures} / ${t.unanswered}`]);
    if (t.firstFailure) facts.push(["stored: first failure", t.firstFailure.slice(0, 160)]);
  }
  out.push(table(facts));
  out.push("");
  out.push(
    table([
      ["target", "wanted", "measured", "result"],
      ...r.targets.map((t) => [
        t.name,
        t.target,
        t.measured,
        t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL",
      ]),
    ]),
  );
  for (const e of r.errors) out.push(`ERROR: ${e}`);
  return out.join("\n");
}

/**
 * Where the latency of each Umbra phase went (docs/benchmarks.md "Open-loop latency composition"):
 * the node's commit wait and its parts (from its /metrics, bucket bounds), the node's event-loop delay
 * (beyond its 10 ms sampling timer) and the clients', and the node's garbage collections; then per-second worst latencies beside the
 * clients' worst event-loop delay, so a stall is placed on one side.
 */
function compositionReport(phases: [string, PhaseFigures | undefined][]): string[] {
  const rows = [
    [
      "composition: p99 / worst ms",
      "latency",
      ...COMMIT_PARTS.map((p) => (p === "wait" ? "commit wait" : p)),
      "ckpt thread n/p99",
      "node loop delay",
      "client loop",
      "node GC major n/≥10ms/total",
      "client GC max, major n/max, heap MiB",
    ],
  ];
  const lines: string[] = [];
  for (const [label, p] of phases) {
    if (!p) continue;
    const n = p.node;
    const major = n?.gc.major;
    rows.push([
      label,
      `${f1(p.p99Ms)}/${f0(p.maxMs)}`,
      ...COMMIT_PARTS.map((part) => (n ? `${f1(n.commit[part].p99Ms)}/${f0(n.commit[part].worstMs)}` : "-")),
      n ? `${n.checkpointMs.count}/${f1(n.checkpointMs.p99Ms)}` : "-",
      n ? `${f0(n.loopP99Ms)}/${f0(n.loopMaxMs)}` : "-",
      `${f1(p.clientLoop.p99Ms)}/${f0(p.clientLoop.maxMs)}`,
      major ? `${major.count}/${major.over10ms}/${f0(major.totalMs)}` : "0",
      `${f0(p.clientLoop.gcMaxMs)}, ${p.clientLoop.gcMajor}/${f0(p.clientLoop.gcMajorMaxMs)}, ${f0(p.clientLoop.heapUsedMiB)}`,
    ]);
    if (label === "open loop" || label === "desired->delta" || label.startsWith("desired warm-up")) {
      lines.push(`${label}: worst latency by second   ${p.maxBySecondMs.join(" ")}`);
      lines.push(`${label}: clients' worst loop delay ${p.clientLoop.maxBySecondMs.join(" ")}`);
    }
  }
  return [table(rows), ...lines];
}
