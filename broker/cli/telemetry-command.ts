import type { Command } from "commander";
import { parseDuration } from "../../shared/telemetry-duration.ts";
import { type ApiSeries, renderSparklines, renderTable } from "../../shared/telemetry-render.ts";
import { exitUsage } from "./cli-output.ts";
import { type NodeClientOpts, nodeCall, nodeUrl, withNodeOptions } from "./node-client.ts";

interface TelemetryOpts extends NodeClientOpts {
  metric?: string;
  since: string;
  step?: string;
  json?: boolean;
  table?: boolean;
}

function usage(message: string): never {
  return exitUsage("telemetry", message);
}

async function show(thing: string, opts: TelemetryOpts): Promise<void> {
  if (parseDuration(opts.since) === null)
    usage(`--since must be a duration like 15m, 1h or 7d, got '${opts.since}'`);
  if (opts.step !== undefined && opts.step !== "raw" && parseDuration(opts.step) === null) {
    usage(`--step must be 'raw' or a duration like 1m or 1h, got '${opts.step}'`);
  }
  const url = nodeUrl(opts, `/things/${encodeURIComponent(thing)}/telemetry`);
  url.searchParams.set("from", `-${opts.since}`);
  if (opts.metric) url.searchParams.set("metric", opts.metric);
  if (opts.step) url.searchParams.set("step", opts.step);
  const answer = await nodeCall(opts, "GET", url, undefined, "umbra telemetry");
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  const body = answer as unknown as { series: ApiSeries[]; step: string; tier: string };
  const series = body.series.filter((s) => s.points.length > 0);
  if (series.length === 0) {
    process.stdout.write(
      `no telemetry for ${thing}${opts.metric ? ` metric ${opts.metric}` : ""} in the last ${opts.since}\n`,
    );
    return;
  }
  process.stdout.write(`${thing}: last ${opts.since}, step ${body.step}\n`);
  process.stdout.write(`${opts.table ? renderTable(series) : renderSparklines(series)}\n`);
}

export function registerTelemetryCommand(program: Command): void {
  withNodeOptions(program.command("telemetry <thing>"))
    .description("show a thing's telemetry: a sparkline per metric, a table of points, or JSON")
    .option("-m, --metric <metric>", "one metric (default: every metric of the thing)")
    .option("-s, --since <duration>", "how far back, like 15m, 1h, 7d", "1h")
    .option("--step <step>", "raw, or a bucket width like 1m or 1h (default: chosen from --since)")
    .option("--table", "print the points as a table instead of sparklines")
    .option("--json", "print the node's JSON answer")
    .addHelpText(
      "after",
      "\nExamples:\n  umbra telemetry pdu-1\n  umbra telemetry pdu-1 --metric watts --since 1d --step 1h --table",
    )
    .action((thing: string, opts: TelemetryOpts) => show(thing, opts));
}
