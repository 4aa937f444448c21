import type { Command } from "commander";
import { formatProblem } from "../../shared/alarms-rules.ts";
import { formatDuration } from "../../shared/telemetry-duration.ts";
import { checkRulesDir } from "../alarms/rules-dir.ts";
import { printResult } from "./cli-output.ts";
import { columns } from "./columns.ts";
import { type NodeClientOpts, nodeCall, withNodeOptions } from "./node-client.ts";

type Json = Record<string, unknown>;
interface OutOpts extends NodeClientOpts {
  json?: boolean;
}

const when = (ms: unknown) =>
  typeof ms === "number" ? new Date(ms).toISOString().replace(/\.\d+Z$/, "Z") : "-";

/** `system/rule/thing` → the URL path of that alarm. */
function alarmPath(id: string, action: string): string {
  const parts = id.split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) {
    process.stderr.write(
      `umbra: an alarm id is system/rule/thing (as 'umbra alarms list' shows), not '${id}'\n`,
    );
    process.exit(2);
  }
  return `/alarms/${parts.map(encodeURIComponent).join("/")}/${action}`;
}

function alarmsTable(results: Json[]): string {
  return columns(
    ["ALARM", "SITE", "SEVERITY", "STATE", "RAISED", "FIRES", "ACKED BY", "VALUE"],
    results.map((a) => [
      String(a.id),
      String(a.site),
      String(a.severity),
      `${a.state}${typeof a.shelvedUntil === "number" && a.shelvedUntil > Date.now() ? " (shelved)" : ""}`,
      when(a.raisedAt),
      String(a.fireCount),
      a.ackedBy === undefined ? "-" : String(a.ackedBy),
      a.value === undefined ? "-" : JSON.stringify(a.value),
    ]),
  );
}

/** `umbra rules check`, `umbra alarms list|ack|shelve|clear`, `umbra review` (docs/alarms.md). */
export function registerAlarmCommands(program: Command): void {
  const rules = program.command("rules").description("alarm rules (YAML, one file per system)");
  rules
    .command("check <dir>")
    .description("validate every rules file of a directory; prints file:line: key: problem")
    .action((dir: string) => {
      const s = checkRulesDir(dir);
      for (const p of s.problems) process.stderr.write(`${formatProblem(p)}\n`);
      if (s.problems.length > 0) process.exit(1);
      printResult(`${s.rules.length} rules in ${s.files.length} files: ok`);
    });

  const alarms = program.command("alarms").description("alarms of the node and of the sites below it");
  withNodeOptions(
    alarms
      .command("list")
      .description("open alarms (or --state all|raised|acknowledged|cleared)")
      .option("--system <name>", "only this system's rules")
      .option("--thing <name>", "only this thing")
      .option("--state <state>", "open (default), raised, acknowledged, cleared, all")
      .option("--json", "JSON"),
  ).action(async (opts: OutOpts & { system?: string; thing?: string; state?: string }) => {
    const q = new URLSearchParams();
    for (const k of ["system", "thing", "state"] as const) if (opts[k]) q.set(k, opts[k] as string);
    const r = await nodeCall(opts, "GET", `/alarms?${q}`);
    printResult(opts.json ? r : alarmsTable(r.results as Json[]));
  });
  for (const [name, help] of [
    ["ack", "acknowledge an alarm (you are recorded as who acknowledged)"],
    ["clear", "clear an alarm by hand (raised again only after its condition stops once)"],
  ] as const) {
    withNodeOptions(alarms.command(`${name} <id>`).description(help)).action(
      async (id: string, opts: NodeClientOpts) => {
        const a = await nodeCall(opts, "POST", alarmPath(id, name), {});
        printResult(`${a.id}: ${a.state}${a.ackedBy ? ` (acknowledged by ${a.ackedBy})` : ""}`);
      },
    );
  }
  withNodeOptions(
    alarms
      .command("shelve <id>")
      .description("silence an alarm's notifications for a time")
      .requiredOption("--for <duration>", "how long: 30m, 2h, 1d (0 unshelves)"),
  ).action(async (id: string, opts: NodeClientOpts & { for: string }) => {
    const a = await nodeCall(opts, "POST", alarmPath(id, "shelve"), { for: opts.for });
    printResult(`${a.id}: ${a.shelvedUntil ? `shelved until ${when(a.shelvedUntil)}` : "not shelved"}`);
  });

  withNodeOptions(
    program
      .command("review <system>")
      .description("what happened in a system: alarms raised, open, unacknowledged, flapping; drift; jobs")
      .option("--since <duration>", "the period, back from now", "7d")
      .option("--json", "JSON"),
  ).action(async (system: string, opts: OutOpts & { since: string }) => {
    const r = await nodeCall(
      opts,
      "GET",
      `/systems/${encodeURIComponent(system)}/review?since=${encodeURIComponent(opts.since)}`,
    );
    printResult(opts.json ? r : reviewText(r));
  });
}

/** The review as people read it. */
export function reviewText(r: Json): string {
  const raised = r.raised as { raises: number; alarms: number };
  const open = r.stillOpen as Json[];
  const unacked = r.neverAcknowledged as Json[];
  const flapping = r.mostFlapping as Json[];
  const drift = r.longestNotConverged as Json[];
  const jobs = r.jobs as Json[] | null;
  return [
    `Review of ${r.system}, ${when(r.since)} to ${when(r.until)}`,
    "",
    `Alarms raised: ${raised.raises} (${raised.alarms} distinct)`,
    "",
    `Still open (${open.length}):`,
    alarmsTable(open),
    "",
    `Never acknowledged (${unacked.length}):`,
    unacked.length === 0 ? "(none)" : unacked.map((a) => `  ${a.id}`).join("\n"),
    "",
    "Most flapping:",
    columns(
      ["ALARM", "RAISES"],
      flapping.map((f) => [String(f.id), String(f.raises)]),
    ),
    "",
    "Longest not converged:",
    columns(
      ["THING", "PENDING"],
      drift.map((d) => [String(d.thing), formatDuration(Math.max(1, Number(d.pendingSeconds)) * 1000)]),
    ),
    "",
    "Jobs run:",
    jobs === null
      ? "(no jobs capability on this node)"
      : columns(
          ["JOB"],
          jobs.map((j) => [String(j.id)]),
        ),
  ].join("\n");
}
