import type { Command } from "commander";
import { parseDuration } from "../../shared/telemetry-duration.ts";
import { type ApiSeries, renderSparklines, renderTable } from "../../shared/telemetry-render.ts";
import { apiToken } from "./api-token.ts";

interface TelemetryOpts {
  url: string;
  token?: string;
  metric?: string;
  since: string;
  step?: string;
  json?: boolean;
  table?: boolean;
}

function usage(message: string): never {
  process.stderr.write(`umbra telemetry: ${message}\n`);
  process.exit(2);
}

async function show(thing: string, opts: TelemetryOpts): Promise<void> {
  if (parseDuration(opts.since) === null)
    usage(`--since must be a duration like 15m, 1h or 7d, got '${opts.since}'`);
  if (opts.step !== undefined && opts.step !== "raw" && parseDuration(opts.step) === null) {
    usage(`--step must be 'raw' or a duration like 1m or 1h, got '${opts.step}'`);
  }
  let url: URL;
  try {
    url = new URL(`/things/${encodeURIComponent(thing)}/telemetry`, opts.url);
  } catch {
    usage(`invalid node URL '${opts.url}' (--url or UMBRA_URL); expected e.g. http://127.0.0.1:8080`);
  }
  url.searchParams.set("from", `-${opts.since}`);
  if (opts.metric) url.searchParams.set("metric", opts.metric);
  if (opts.step) url.searchParams.set("step", opts.step);
  const token = apiToken(opts.token);
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    process.stderr.write(
      `umbra: cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}\n`,
    );
    process.exit(1);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {}
    const hint =
      res.status === 401
        ? " (give --token, set UMBRA_TOKEN, or set UMBRA_DATA_DIR to the node's data dir holding admin.json)"
        : "";
    process.stderr.write(`umbra telemetry: ${res.status} ${message}${hint}\n`);
    process.exit(1);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    return;
  }
  const body = JSON.parse(text) as { series: ApiSeries[]; step: string; tier: string };
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
  program
    .command("telemetry <thing>")
    .description("show a thing's telemetry: a sparkline per metric, a table of points, or JSON")
    .option("-m, --metric <metric>", "one metric (default: every metric of the thing)")
    .option("-s, --since <duration>", "how far back, like 15m, 1h, 7d", "1h")
    .option("--step <step>", "raw, or a bucket width like 1m or 1h (default: chosen from --since)")
    .option("--table", "print the points as a table instead of sparklines")
    .option("--json", "print the node's JSON answer")
    .option("--url <url>", "node HTTP API", process.env.UMBRA_URL ?? "http://127.0.0.1:8080")
    .option(
      "--token <token>",
      "bearer token (default: UMBRA_TOKEN, then admin.json in UMBRA_DATA_DIR or ./data)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  umbra telemetry pdu-1\n  umbra telemetry pdu-1 --metric watts --since 1d --step 1h --table",
    )
    .action((thing: string, opts: TelemetryOpts) => show(thing, opts));
}
