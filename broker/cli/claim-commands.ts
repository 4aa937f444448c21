import type { Command } from "commander";
import { parseDuration, parseIsoUtc } from "../../shared/telemetry-duration.ts";
import { exitUsage, printResult } from "./cli-output.ts";
import { columns } from "./columns.ts";
import { type NodeClientOpts, nodeCall, withNodeOptions } from "./node-client.ts";

type Json = Record<string, unknown>;

interface ClaimOpts extends NodeClientOpts {
  things?: string;
  systems?: string;
  reason?: string;
  for?: string;
  until?: string;
  all?: boolean;
  json?: boolean;
}

function usage(message: string): never {
  return exitUsage("claim", message);
}

/** A JSON call whose refusal is reported as `umbra claim: …`. */
const call = (opts: NodeClientOpts, method: string, path: string, body?: unknown) =>
  nodeCall(opts, method, path, body, "umbra claim");

const iso = (s: unknown) => new Date(Number(s) * 1000).toISOString().replace(/\.000Z$/, "Z");
const list = (s: string | undefined) => (s ? s.split(",").map((x) => x.trim()) : undefined);

export function registerClaimCommands(program: Command): void {
  const claim = program
    .command("claim")
    .description(
      "maintenance claims: jobs skip claimed things, others' desired writes are refused (docs/jobs.md)",
    );

  withNodeOptions(claim.command("add").description("claim things or systems for a window"))
    .option("--things <a,b,…>", "thing names or globs")
    .option("--systems <a,b,…>", "systems (every thing they contain)")
    .requiredOption("--reason <text>", "why (shown in every refusal)")
    .option("--for <duration>", "how long, e.g. 2h (default 1h)")
    .option("--until <iso>", "until this instant (ISO 8601, UTC unless a zone is given)")
    .option("--json", "print the API's JSON answer")
    .action(async (opts: ClaimOpts) => {
      const body: Json = { reason: opts.reason };
      if (opts.things) body.things = list(opts.things);
      if (opts.systems) body.systems = list(opts.systems);
      if (opts.until !== undefined) {
        const ms = parseIsoUtc(opts.until);
        if (ms === null) usage("--until must be an ISO 8601 date-time");
        body.until = Math.floor(ms / 1000);
      } else {
        const ms = parseDuration(opts.for ?? "1h");
        if (ms === null) usage("--for must be a duration like 30m or 2h");
        body.durationSeconds = Math.max(1, Math.round(ms / 1000));
      }
      const c = await call(opts, "POST", "/claims", body);
      if (opts.json) return printResult(c);
      printResult(`${c.id} until ${iso(c.until)}\n`);
      for (const o of c.overlaps as Json[]) {
        process.stderr.write(
          `umbra claim: overlaps ${o.id} by '${o.owner}' until ${iso(o.until)} (${o.reason})\n`,
        );
      }
    });

  withNodeOptions(claim.command("list").description("active and upcoming claims"))
    .option("--all", "also expired and released claims")
    .option("--json", "print the API's JSON answer")
    .action(async (opts: ClaimOpts) => {
      const r = await call(opts, "GET", `/claims${opts.all ? "?all=true" : ""}`);
      if (opts.json) return printResult(r);
      printResult(
        columns(
          ["ID", "OWNER", "THINGS", "SYSTEMS", "FROM", "UNTIL", "REASON"],
          (r.claims as Json[]).map((c) => [
            String(c.id),
            String(c.owner),
            (c.things as string[]).join(",") || "-",
            (c.systems as string[]).join(",") || "-",
            iso(c.from),
            c.releasedAt !== undefined ? `released ${iso(c.releasedAt)}` : iso(c.until),
            String(c.reason),
          ]),
        ),
      );
    });

  withNodeOptions(claim.command("release <id>").description("end a claim now"))
    .option("--json", "print the API's JSON answer")
    .action(async (id: string, opts: ClaimOpts) => {
      const c = await call(opts, "DELETE", `/claims/${encodeURIComponent(id)}`);
      printResult(opts.json ? c : `${c.id} released\n`);
    });
}
