import type { Command } from "commander";
import {
  type ApiBlameLine,
  type ApiLeafChange,
  type ApiRecord,
  renderBlameTable,
  renderDiffTable,
  renderHistoryTable,
} from "../../shared/history-render.ts";
import { parseDuration } from "../../shared/telemetry-duration.ts";
import { exitUsage } from "./cli-output.ts";
import { nodeRequest } from "./node-client.ts";
import { type ClientOpts, endpoint, exitRefused, withClientOptions } from "./shadow-command.ts";

interface HistoryOpts extends ClientOpts {
  json?: boolean;
  limit?: string;
  since?: string;
  order?: string;
  cursor?: string;
}

function usage(message: string): never {
  return exitUsage("shadow", message);
}

/** GETs `url`; a refusal is printed like `umbra shadow get` prints one (JSON on stderr, exit 1). */
async function fetchJson(opts: ClientOpts, url: URL): Promise<unknown> {
  const res = await nodeRequest(opts, "GET", url);
  if (!res.ok || res.json === undefined) exitRefused(res);
  return res.json;
}

function print(opts: HistoryOpts, body: unknown, table: () => string): void {
  process.stdout.write(`${opts.json ? JSON.stringify(body, null, 2) : table()}\n`);
}

/** `--since 1h` (a duration) or an ISO time: the `from` of the history query. */
function sinceToFrom(since: string): string {
  const ms = parseDuration(since);
  if (ms !== null) return new Date(Date.now() - ms).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(since)) return since;
  usage(`--since must be a duration like 15m, 1h or 7d, or an ISO time, got '${since}'`);
}

/** `umbra shadow history|at|diff|blame` over the node's history API (docs/history.md). */
export function registerShadowHistoryCommands(shadow: Command): void {
  withClientOptions(
    shadow
      .command("history <thing>")
      .description(
        "list a shadow's changes, newest first: version, time, site, identity, clientToken, leaves",
      )
      .option("--limit <n>", "changes per page, 1-1000 (default 100)")
      .option("--since <when>", "only changes since a duration ago (15m, 1h, 7d) or an ISO time")
      .option("--order <asc|desc>", "asc lists oldest first (default desc)")
      .option("--cursor <version>", "continue after this version (the nextCursor of the previous page)")
      .option("--json", "print the API reply as JSON"),
  ).action(async (thing: string, opts: HistoryOpts) => {
    const url = endpoint(opts, thing, "/history");
    if (opts.limit) url.searchParams.set("limit", opts.limit);
    if (opts.since) url.searchParams.set("from", sinceToFrom(opts.since));
    if (opts.order) url.searchParams.set("order", opts.order);
    if (opts.cursor) url.searchParams.set("cursor", opts.cursor);
    const body = (await fetchJson(opts, url)) as {
      records: ApiRecord[];
      nextCursor?: string;
    };
    print(opts, body, () => {
      const more = body.nextCursor ? `\n(more: --cursor ${body.nextCursor})` : "";
      return body.records.length === 0
        ? "no changes in this range"
        : `${renderHistoryTable(body.records)}${more}`;
    });
  });

  withClientOptions(
    shadow
      .command("at <thing> <when>")
      .description("print the shadow as it was at a version or an ISO time (a get document)"),
  ).action(async (thing: string, when: string, opts: ClientOpts) => {
    const url = endpoint(opts, thing);
    url.searchParams.set("at", when);
    const body = await fetchJson(opts, url);
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  });

  withClientOptions(
    shadow
      .command("diff <thing> <from> <to>")
      .description("the leaves that differ between two versions (or ISO times)")
      .option("--json", "print the API reply as JSON"),
  ).action(async (thing: string, from: string, to: string, opts: HistoryOpts) => {
    const url = endpoint(opts, thing, "/diff");
    url.searchParams.set("from", from);
    url.searchParams.set("to", to);
    const body = (await fetchJson(opts, url)) as {
      desired: ApiLeafChange[];
      reported: ApiLeafChange[];
    };
    print(opts, body, () =>
      body.desired.length + body.reported.length === 0 ? "no differences" : renderDiffTable(body),
    );
  });

  withClientOptions(
    shadow
      .command("blame <thing>")
      .description(
        "per leaf of desired and reported: the change that last wrote it (version, time, site, who)",
      )
      .option("--json", "print the API reply as JSON"),
  ).action(async (thing: string, opts: HistoryOpts) => {
    const body = (await fetchJson(opts, endpoint(opts, thing, "/blame"))) as {
      desired: ApiBlameLine[];
      reported: ApiBlameLine[];
    };
    print(opts, body, () => renderBlameTable(body));
  });
}
