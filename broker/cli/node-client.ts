import type { Command } from "commander";
import { authHeaders } from "./api-token.ts";

/** The flags every command that talks to a node's HTTP API takes. */
export interface NodeClientOpts {
  url: string;
  token?: string;
}

export interface NodeResponse {
  status: number;
  ok: boolean;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** The node that answered (origin of the request URL), for messages. */
  origin?: string;
}

const DEFAULT_URL = "http://127.0.0.1:8080";

/** Adds --url and --token, documented with their environment variables. */
export function withNodeOptions(cmd: Command): Command {
  return cmd
    .option("--url <url>", "node HTTP API (env UMBRA_URL)", process.env.UMBRA_URL ?? DEFAULT_URL)
    .option(
      "--token <token>",
      "bearer token (default: UMBRA_TOKEN, then admin.json in UMBRA_DATA_DIR or ./data)",
    );
}

/** `path` on the node; a malformed --url / UMBRA_URL is a usage error (exit 2), not a stack trace. */
export function nodeUrl(opts: NodeClientOpts, path: string): URL {
  try {
    const url = new URL(path, opts.url);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {}
  process.stderr.write(
    `umbra: invalid node URL '${opts.url}' (--url or UMBRA_URL); expected e.g. ${DEFAULT_URL}\n`,
  );
  process.exit(2);
}

/** One request to the node; an unreachable node ends the command (exit 1) with the reason and a hint. */
export async function nodeRequest(
  opts: NodeClientOpts,
  method: string,
  url: URL,
  body?: string,
): Promise<NodeResponse> {
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, ok: res.ok, text, json, origin: url.origin };
}

/**
 * One JSON call to the node: `target` (a path or a URL), `body` sent as JSON; a refusal ends the command
 * (failWith `prefix`). The answer's JSON object.
 */
export async function nodeCall(
  opts: NodeClientOpts,
  method: string,
  target: string | URL,
  body?: unknown,
  prefix = "umbra",
): Promise<Record<string, unknown>> {
  const url = typeof target === "string" ? nodeUrl(opts, target) : target;
  const res = await nodeRequest(opts, method, url, body === undefined ? undefined : JSON.stringify(body));
  if (!res.ok) failWith(prefix, res);
  return res.json as Record<string, unknown>;
}

/** Opens a streaming GET (server-sent events); exits like nodeRequest when the node cannot be reached. */
export async function nodeStream(opts: NodeClientOpts, url: URL): Promise<Response> {
  try {
    return await fetch(url, { headers: authHeaders(opts.token) });
  } catch (err) {
    unreachable(url, err);
  }
}

/** One server-sent event: its name and its `data:` line parsed as JSON. */
export interface NodeEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

/**
 * The events of a server-sent event stream (broker/http/event-stream.ts writes them) until it ends;
 * comments (keep-alives) are skipped.
 */
export async function* nodeEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<NodeEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (data === undefined) continue;
      yield { event: /^event: (.*)$/m.exec(frame)?.[1], data: JSON.parse(data) as Record<string, unknown> };
    }
  }
}

/** Certificate verification failures: the node answered, but this client does not trust it. */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause. */
function unreachable(url: URL, err: unknown): never {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  const hint = UNTRUSTED.test(cause?.code ?? "")
    ? "the node's certificate is not trusted here: NODE_EXTRA_CA_CERTS=<the CA's PEM file> umbra …"
    : "is the node running? --url or UMBRA_URL";
  process.stderr.write(`umbra: cannot reach ${url.origin}: ${reason} (${hint})\n`);
  process.exit(1);
}

/**
 * Prints a refused request's message (with what to do about a 401; where a fleet query is wrong) and
 * exits 1.
 */
export function failWith(prefix: string, res: NodeResponse): never {
  const e = res.json as { position?: number; problem?: string } | undefined;
  if (e?.position !== undefined) {
    process.stderr.write(`${prefix}: query error at ${e.position}: ${e.problem}\n`);
    process.exit(1);
  }
  const message = (res.json as { message?: string } | undefined)?.message ?? res.text;
  const hint =
    res.status === 401
      ? ` (from ${res.origin ?? "the node"}: give --token, set UMBRA_TOKEN, or run where the node's data dir holds admin.json — UMBRA_DATA_DIR; --url or UMBRA_URL if that is not your node)`
      : "";
  process.stderr.write(`${prefix}: ${res.status} ${message}${hint}\n`);
  process.exit(1);
}
