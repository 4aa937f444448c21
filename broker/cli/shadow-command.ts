import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type NodeClientOpts,
  type NodeResponse,
  nodeEvents,
  nodeRequest,
  nodeStream,
  nodeUrl,
  withNodeOptions,
} from "./node-client.ts";
import { registerShadowHistoryCommands } from "./shadow-history-command.ts";

export interface ClientOpts extends NodeClientOpts {
  name?: string;
}

export function endpoint(opts: ClientOpts, thing: string, suffix = ""): URL {
  const url = nodeUrl(opts, `/things/${encodeURIComponent(thing)}/shadow${suffix}`);
  if (opts.name) url.searchParams.set("name", opts.name);
  return url;
}

const shown = (res: NodeResponse) => (res.json === undefined ? res.text : JSON.stringify(res.json, null, 2));

/** A refusal as `umbra shadow …` prints it: the node's answer (pretty JSON) on stderr, exit 1. */
export function exitRefused(res: NodeResponse): never {
  process.stderr.write(`${shown(res)}\n`);
  process.exit(1);
}

/** Prints the node's answer (pretty JSON) on stdout, or on stderr with exit 1 when it refused. */
async function call(opts: ClientOpts, method: string, url: URL, body?: string): Promise<void> {
  const res = await nodeRequest(opts, method, url, body);
  if (!res.ok) exitRefused(res);
  process.stdout.write(`${shown(res)}\n`);
}

export function withClientOptions(cmd: Command): Command {
  return withNodeOptions(cmd.option("-n, --name <shadow>", "named shadow (default: the classic shadow)"));
}

export function registerShadowCommands(program: Command): void {
  const shadow = program.command("shadow").description("read and write shadows through a node's HTTP API");

  withClientOptions(shadow.command("get <thing>").description("print a shadow document")).action(
    (thing: string, opts: ClientOpts) => call(opts, "GET", endpoint(opts, thing)),
  );

  withClientOptions(
    shadow
      .command("update <thing> <json>")
      .description("send an update request; <json> is a request document or - for stdin")
      .addHelpText(
        "after",
        `\nExample:\n  umbra shadow update pdu-1 '{"state":{"desired":{"outlet1":"off"}}}'`,
      ),
  ).action((thing: string, json: string, opts: ClientOpts) =>
    call(opts, "POST", endpoint(opts, thing), json === "-" ? readFileSync(0, "utf8") : json),
  );

  withClientOptions(shadow.command("delete <thing>").description("delete a shadow")).action(
    (thing: string, opts: ClientOpts) => call(opts, "DELETE", endpoint(opts, thing)),
  );

  withClientOptions(
    shadow
      .command("list [thing]")
      .description("list things, or the shadows of one thing")
      .option("--cursor <thing>", "list things after this one (the nextCursor of the previous page)")
      .option("--limit <n>", "things per page, 1-1000 (default 100)"),
  ).action(async (thing: string | undefined, opts: ClientOpts & { cursor?: string; limit?: string }) => {
    if (thing) {
      return call(opts, "GET", nodeUrl(opts, `/things/${encodeURIComponent(thing)}/shadows`));
    }
    const url = nodeUrl(opts, "/things");
    if (opts.cursor) url.searchParams.set("cursor", opts.cursor);
    if (opts.limit) url.searchParams.set("limit", opts.limit);
    return call(opts, "GET", url);
  });

  withClientOptions(
    shadow
      .command("watch <thing>")
      .description("print the shadow, then every change as it happens (one JSON line each)"),
  ).action(async (thing: string, opts: ClientOpts) => {
    const current = await nodeRequest(opts, "GET", endpoint(opts, thing));
    if (current.status === 404) {
      // Not an error: the stream starts with its first update. Said on stderr, so stdout stays JSON lines.
      process.stderr.write(
        `umbra: ${thing}${opts.name ? ` (shadow ${opts.name})` : ""} has no shadow yet; waiting for its first update (Ctrl-C to stop)\n`,
      );
    }
    const res = await nodeStream(opts, endpoint(opts, thing, "/events"));
    if (!res.ok || !res.body) {
      process.stderr.write(`${await res.text()}\n`);
      process.exit(1);
    }
    for await (const { event, data } of nodeEvents(res.body))
      process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
  });

  registerShadowHistoryCommands(shadow);
}
