import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { authHeaders } from "./api-token.ts";
import { registerShadowHistoryCommands } from "./shadow-history-command.ts";

export interface ClientOpts {
  url: string;
  name?: string;
  token?: string;
}

/** The node's base URL; a malformed --url / UMBRA_URL is a usage error, not a stack trace. */
function baseUrl(opts: ClientOpts): URL {
  try {
    const url = new URL(opts.url);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {}
  process.stderr.write(
    `umbra: invalid node URL '${opts.url}' (--url or UMBRA_URL); expected e.g. http://127.0.0.1:8080\n`,
  );
  process.exit(2);
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause. */
function unreachable(url: string | URL, err: unknown): never {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  process.stderr.write(`umbra: cannot reach ${new URL(url).origin}: ${reason}\n`);
  process.exit(1);
}

export function endpoint(opts: ClientOpts, thing: string, suffix = ""): string {
  const url = new URL(`/things/${encodeURIComponent(thing)}/shadow${suffix}`, baseUrl(opts));
  if (opts.name) url.searchParams.set("name", opts.name);
  return url.toString();
}

/** Sends a request; on an error reply prints it to stderr and exits 1. Returns the parsed reply. */
export async function request(
  opts: ClientOpts,
  method: string,
  url: string,
  body?: string,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      body,
      headers: {
        ...authHeaders(opts.token),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
    });
  } catch (err) {
    unreachable(url, err);
  }
  const text = await res.text();
  const parsed = (() => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  })();
  if (!res.ok) {
    process.stderr.write(`${typeof parsed === "string" ? parsed : JSON.stringify(parsed, null, 2)}\n`);
    process.exit(1);
  }
  return parsed;
}

async function call(opts: ClientOpts, method: string, url: string, body?: string): Promise<void> {
  const parsed = await request(opts, method, url, body);
  process.stdout.write(`${typeof parsed === "string" ? parsed : JSON.stringify(parsed, null, 2)}\n`);
}

export function withClientOptions(cmd: Command): Command {
  return cmd
    .option("--url <url>", "node HTTP API", process.env.UMBRA_URL ?? "http://127.0.0.1:8080")
    .option("-n, --name <shadow>", "named shadow (default: the classic shadow)")
    .option("--token <token>", "bearer token (default: UMBRA_TOKEN, then ./data/admin.json)");
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
      return call(
        opts,
        "GET",
        new URL(`/things/${encodeURIComponent(thing)}/shadows`, baseUrl(opts)).toString(),
      );
    }
    const url = new URL("/things", baseUrl(opts));
    if (opts.cursor) url.searchParams.set("cursor", opts.cursor);
    if (opts.limit) url.searchParams.set("limit", opts.limit);
    return call(opts, "GET", url.toString());
  });

  withClientOptions(
    shadow
      .command("watch <thing>")
      .description("print the shadow, then every change as it happens (one JSON line each)"),
  ).action(async (thing: string, opts: ClientOpts) => {
    let res: Response;
    try {
      res = await fetch(endpoint(opts, thing, "/events"), { headers: authHeaders(opts.token) });
    } catch (err) {
      unreachable(opts.url, err);
    }
    if (!res.ok || !res.body) {
      process.stderr.write(`${await res.text()}\n`);
      process.exit(1);
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (data !== undefined) process.stdout.write(`${JSON.stringify({ event, ...JSON.parse(data) })}\n`);
        end = buffer.indexOf("\n\n");
      }
    }
  });

  registerShadowHistoryCommands(shadow);
}
