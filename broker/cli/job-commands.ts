import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseDuration } from "../../shared/telemetry-duration.ts";
import { exitUsage, printResult } from "./cli-output.ts";
import { columns } from "./columns.ts";
import {
  type NodeClientOpts,
  nodeCall,
  nodeEvents,
  nodeStream,
  nodeUrl,
  withNodeOptions,
} from "./node-client.ts";

type Json = Record<string, unknown>;

interface JobOpts extends NodeClientOpts {
  file?: string;
  q?: string;
  system?: string;
  things?: string;
  patch?: string;
  command?: string;
  shadow?: string;
  description?: string;
  confirm?: boolean;
  batchSize?: string;
  ramp?: string;
  rate?: string;
  timeout?: string;
  maxFailures?: string;
  maxFailurePercent?: string;
  watch?: boolean;
  json?: boolean;
}

function usage(message: string): never {
  return exitUsage("job", message);
}

/** A JSON call whose refusal is reported as `umbra job: …`. */
const call = (opts: NodeClientOpts, method: string, path: string, body?: unknown) =>
  nodeCall(opts, method, path, body, "umbra job");

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    usage(`${what} must be JSON`);
  }
}

function num(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) usage(`${what} must be a number`);
  return n;
}

/** The job document from --file, or from the flags (flags win over the file's fields). */
export function jobFromOptions(o: JobOpts): Json {
  const job: Json = o.file ? (json(readFileSync(o.file, "utf8"), `--file ${o.file}`) as Json) : {};
  if (o.q !== undefined) job.target = { q: o.q };
  if (o.system !== undefined) job.target = { system: o.system };
  if (o.things !== undefined) job.target = { things: o.things.split(",").map((t) => t.trim()) };
  if (o.patch !== undefined) job.patch = json(o.patch, "--patch");
  if (o.command !== undefined) job.command = json(o.command, "--command");
  if (o.shadow !== undefined) job.shadow = o.shadow;
  if (o.description !== undefined) job.description = o.description;
  if (o.confirm) job.confirm = true;
  const rollout: Json = { ...((job.rollout as Json | undefined) ?? {}) };
  if (o.batchSize !== undefined) rollout.batchSize = num(o.batchSize, "--batch-size");
  if (o.ramp !== undefined) {
    const [start, factor, max] = o.ramp.split(",").map((x) => num(x, "--ramp"));
    rollout.ramp = { start, factor, max };
  }
  if (o.rate !== undefined) rollout.ratePerMinute = num(o.rate, "--rate");
  if (o.timeout !== undefined) {
    const ms = parseDuration(o.timeout);
    if (ms === null) usage("--timeout must be a duration like 90s or 5m");
    rollout.timeoutSeconds = ms / 1000;
  }
  if (Object.keys(rollout).length > 0) job.rollout = rollout;
  const abort: Json = { ...((job.abort as Json | undefined) ?? {}) };
  if (o.maxFailures !== undefined) abort.maxFailures = num(o.maxFailures, "--max-failures");
  if (o.maxFailurePercent !== undefined)
    abort.maxFailurePercent = num(o.maxFailurePercent, "--max-failure-percent");
  if (Object.keys(abort).length > 0) job.abort = abort;
  return job;
}

function jobOptions(cmd: Command): Command {
  return withNodeOptions(cmd)
    .option("--file <job.json>", "the job document (docs/jobs.md); flags override its fields")
    .option("--q <query>", "target: a fleet query (docs/fleet.md)")
    .option("--system <name>", "target: every thing of a system")
    .option("--things <a,b,…>", "target: these things")
    .option("--patch <json>", "desired patch, e.g. '{\"cap\":500}'")
    .option("--command <json>", 'one-shot command, e.g. \'{"power":"cycle"}\'')
    .option("--shadow <name>", "named shadow (default: the classic shadow)")
    .option("--description <text>", "what the job is for")
    .option("--confirm", "confirm destructive values (power off/cycle, outlet off)")
    .option("--batch-size <n>", "things per batch (default 10)")
    .option("--ramp <start,factor,max>", "exponential batches instead of a fixed size")
    .option("--rate <n>", "at most n writes per minute")
    .option("--timeout <duration>", "per-thing convergence timeout (default 5m)")
    .option("--max-failures <n>", "abort once n things failed")
    .option("--max-failure-percent <p>", "abort once p % of finished things failed")
    .option("--json", "print the API's JSON answer");
}

const countsLine = (j: Json) => {
  const c = (j.counts ?? {}) as Json;
  return ["converged", "failed", "skipped", "waiting", "writing", "pending", "cancelled"]
    .filter((k) => Number(c[k]) > 0)
    .map((k) => `${k} ${c[k]}`)
    .join(", ");
};

const headline = (j: Json) =>
  `${j.id} ${j.state}${j.reason ? ` (${j.reason})` : ""}: ${(j.counts as Json).total} things; ${countsLine(j) || "none started"}\n`;

function dryRunTable(d: Json): string {
  const rows = (d.plans as Json[]).map((p) => {
    const refused = p.refused as Json | undefined;
    const changes = (p.changes as Json[]).map(
      (c) =>
        `${c.path}: ${JSON.stringify(c.desired ?? null)} → ${JSON.stringify(c.to)} (reported ${JSON.stringify(c.reported ?? null)})`,
    );
    const what = refused
      ? `REFUSED ${refused.code}: ${refused.reason}`
      : changes.length > 0
        ? changes.join("; ")
        : (p.pending as Json[]).length > 0
          ? "already desired; would wait for the device"
          : "no change";
    return [String(p.thing), what];
  });
  const refused = Object.entries(d.refused as Json).map(([k, v]) => `${k} ${v}`);
  return `${columns(["THING", "WOULD"], rows)}\n${d.things} things: ${d.wouldChange} would change, ${d.wouldWait} would wait, ${d.noop} unchanged${refused.length ? `, refused: ${refused.join(", ")}` : ""}\n${d.confirmRequired ? `destructive (${(d.destructive as string[]).join(", ")}): run with --confirm\n` : ""}`;
}

/** Follows /jobs/:id/stream, printing each thing's outcome, until the job is over. */
async function watch(opts: NodeClientOpts, id: string): Promise<Json> {
  const res = await nodeStream(opts, nodeUrl(opts, `/jobs/${id}/stream`));
  if (!res.ok || !res.body) usage(`cannot watch ${id}: ${res.status}`);
  let last: Json = {};
  for await (const { event, data: d } of nodeEvents(res.body)) {
    if (event === "thing")
      process.stdout.write(`  ${d.thing} ${d.status}${d.reason ? `: ${d.reason}` : ""}\n`);
    else last = d;
  }
  return last;
}

export function registerJobCommands(program: Command): void {
  const job = program
    .command("job")
    .description("bulk desired changes with a dry run and staged rollout (docs/jobs.md)");

  jobOptions(
    job.command("dry-run").description("what the job would change and refuse, per thing; writes nothing"),
  ).action(async (opts: JobOpts) => {
    const d = await call(opts, "POST", "/jobs/dry-run", jobFromOptions(opts));
    printResult(opts.json ? d : dryRunTable(d));
  });

  jobOptions(job.command("create").description("create and start a job"))
    .option("--watch", "follow the job until it is over")
    .action(async (opts: JobOpts) => {
      const j = await call(opts, "POST", "/jobs", jobFromOptions(opts));
      printResult(opts.json ? j : headline(j));
      if (opts.watch) {
        const end = await watch(opts, j.id as string);
        printResult(opts.json ? end : headline(end));
      }
    });

  withNodeOptions(job.command("status <id>").description("a job's state, counts and per-thing outcome"))
    .option("--watch", "follow the job until it is over")
    .option("--json", "print the API's JSON answer")
    .action(async (id: string, opts: JobOpts) => {
      if (opts.watch) {
        printResult(headline(await watch(opts, id)));
        return;
      }
      const j = await call(opts, "GET", `/jobs/${encodeURIComponent(id)}`);
      if (opts.json) return printResult(j);
      printResult(headline(j));
      printResult(
        columns(
          ["THING", "STATUS", "WRITTEN", "REASON"],
          (j.things as Json[]).map((t) => [
            String(t.thing),
            String(t.status),
            t.written ? "yes" : "no",
            String(t.reason ?? ""),
          ]),
        ),
      );
    });

  withNodeOptions(job.command("list").description("every job of this node"))
    .option("--json", "print the API's JSON answer")
    .action(async (opts: JobOpts) => {
      const r = await call(opts, "GET", "/jobs");
      if (opts.json) return printResult(r);
      printResult(
        columns(
          ["ID", "STATE", "THINGS", "PROGRESS", "BY"],
          (r.jobs as Json[]).map((j) => [
            String(j.id),
            String(j.state),
            String((j.counts as Json).total),
            countsLine(j) || "-",
            String(j.createdBy),
          ]),
        ),
      );
    });

  for (const action of ["pause", "resume", "cancel"] as const) {
    withNodeOptions(job.command(`${action} <id>`).description(`${action} a job`))
      .option("--json", "print the API's JSON answer")
      .action(async (id: string, opts: JobOpts) => {
        const j = await call(opts, "POST", `/jobs/${encodeURIComponent(id)}/${action}`);
        if (opts.json) return printResult(j);
        printResult(headline(j));
        if (action === "cancel") {
          const written = j.written as string[];
          printResult(
            `written: ${written.length ? written.join(", ") : "none"}; not started: ${j.notStarted}\n`,
          );
        }
      });
  }
}
