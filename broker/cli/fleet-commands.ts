import type { Command } from "commander";
import { printResult } from "./cli-output.ts";
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
interface OutOpts extends NodeClientOpts {
  json?: boolean;
  table?: boolean;
}

const text = (v: unknown): string =>
  v === undefined || v === null ? "-" : typeof v === "object" ? JSON.stringify(v) : String(v);

function location(a: Json | undefined): string {
  const l = a?.location as Json | undefined;
  if (!l) return "-";
  return ["site", "room", "row", "rack", "unit"]
    .flatMap((k) => (l[k] === undefined ? [] : [String(l[k])]))
    .join("/");
}

/** A page of fleet results as a table: the asked fields, or name/type/location/connected/shadows. */
export function thingsTable(results: Json[], fields: string[]): string {
  if (fields.length > 0) {
    return columns(
      ["THING", ...fields.map((f) => f.toUpperCase())],
      results.map((r) => [text(r.thingName), ...fields.map((f) => text(r[f]))]),
    );
  }
  return columns(
    ["THING", "TYPE", "LOCATION", "CONNECTED", "SHADOWS"],
    results.map((r) => {
      const a = r.attributes as Json | undefined;
      const c = r.connectivity as Json | undefined;
      const shadows = (r.shadows as string[] | undefined) ?? [];
      return [
        text(r.thingName),
        text(a?.type),
        location(a),
        c ? String(c.connected) : "-",
        shadows.map((s) => s || "(classic)").join(",") || "-",
      ];
    }),
  );
}

function rollupRows(r: Json, depth: number, out: string[][]): string[][] {
  const age = Number(r.oldestDeltaSeconds);
  out.push([
    `${"  ".repeat(depth)}${r.name}`,
    text(r.things),
    Number(r.presenceUnknown) > 0 ? `${r.connected} (+${r.presenceUnknown} unknown)` : text(r.connected),
    r.notConverged ? `${r.notConverged} (oldest ${age}s)` : "0",
    text(r.conflicts),
    text(r.unreachable),
  ]);
  for (const c of (r.systems as Json[] | undefined) ?? [])
    if (c.things !== undefined) rollupRows(c, depth + 1, out);
  return out;
}

/** `location.rack=a1 labels.tier=gold location.unit=4` → nested attributes (unit as a number). */
export function attributesFromPairs(pairs: string[]): Json {
  const out: Json = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`expected key=value, got '${pair}'`);
    const path = pair.slice(0, eq).split(".");
    const raw = pair.slice(eq + 1);
    let cur = out;
    for (const k of path.slice(0, -1)) {
      cur[k] ??= {};
      cur = cur[k] as Json;
    }
    const last = path[path.length - 1] as string;
    cur[last] = raw === "null" ? null : last === "unit" && /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

export function registerFleetCommands(program: Command): void {
  const things = program.command("things").description("fleet inventory and queries (docs/fleet.md)");

  withNodeOptions(
    things
      .command("find [query]")
      .description(
        "things matching a fleet query, e.g. 'attributes.type:pdu AND shadow.reported.watts > 300'",
      )
      .option("--sort <fields>", "comma-separated fields, '-' for descending (default thingName)")
      .option("--fields <fields>", "comma-separated fields to show, or * for whole records")
      .option("--limit <n>", "results per page, 1-1000 (default 100)")
      .option("--cursor <c>", "the nextCursor of the previous page")
      .option("--json", "print the API's JSON answer")
      .option("--table", "print a table (the default)"),
  ).action(
    async (
      query: string | undefined,
      opts: OutOpts & { sort?: string; fields?: string; limit?: string; cursor?: string },
    ) => {
      const url = nodeUrl(opts, "/things");
      url.searchParams.set("q", query ?? "");
      for (const k of ["sort", "fields", "limit", "cursor"] as const)
        if (opts[k]) url.searchParams.set(k, opts[k] as string);
      const page = await nodeCall(opts, "GET", url);
      if (opts.json) return printResult(page);
      const fields = opts.fields && opts.fields !== "*" ? opts.fields.split(",").filter(Boolean) : [];
      printResult(thingsTable(page.results as Json[], fields));
      const partial = page.partial as Json | undefined;
      if (partial) process.stderr.write(`umbra: partial result: ${partial.reason}\n`);
      if (page.nextCursor) process.stderr.write(`umbra: more results: --cursor ${page.nextCursor}\n`);
    },
  );

  withNodeOptions(
    things
      .command("count [query]")
      .description("count matching things, optionally grouped, with min/max/avg of a numeric field")
      .option("--group-by <field>", "e.g. attributes.location.room")
      .option("--stat <field>", "numeric field for min/max/avg, e.g. shadow.reported.watts")
      .option("--json", "print the API's JSON answer"),
  ).action(async (query: string | undefined, opts: OutOpts & { groupBy?: string; stat?: string }) => {
    const url = nodeUrl(opts, "/things/count");
    url.searchParams.set("q", query ?? "");
    if (opts.groupBy) url.searchParams.set("groupBy", opts.groupBy);
    if (opts.stat) url.searchParams.set("stat", opts.stat);
    const r = await nodeCall(opts, "GET", url);
    if (opts.json || !r.groups) return printResult(opts.json ? r : String(r.count));
    printResult(
      columns(
        ["KEY", "COUNT", "MIN", "MAX", "AVG"],
        (r.groups as Json[]).map((g) => [
          text(g.key),
          text(g.count),
          text(g.min),
          text(g.max),
          g.avg === undefined ? "-" : Number(g.avg).toFixed(2),
        ]),
      ),
    );
  });

  withNodeOptions(
    things.command("watch [query]").description("stream changes of matching things (one JSON line each)"),
  ).action(async (query: string | undefined, opts: NodeClientOpts) => {
    const url = nodeUrl(opts, "/things/stream");
    url.searchParams.set("q", query ?? "");
    const res = await nodeStream(opts, url);
    if (!res.ok || !res.body) {
      process.stderr.write(`${await res.text()}\n`);
      process.exit(1);
    }
    for await (const { event, data } of nodeEvents(res.body))
      process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
  });

  withNodeOptions(
    things.command("conflicts").description("every shadow with open conflicts").option("--json", "JSON"),
  ).action(async (opts: OutOpts) => {
    const r = await nodeCall(opts, "GET", nodeUrl(opts, "/fleet/conflicts"));
    if (opts.json) return printResult(r);
    printResult(
      columns(
        ["THING", "SHADOW", "VERSION", "CONFLICTS"],
        (r.results as Json[]).map((c) => [
          text(c.thing),
          text(c.shadow) || "(classic)",
          text(c.version),
          JSON.stringify(c.conflicts),
        ]),
      ),
    );
  });

  const attr = things.command("attr").description("inventory attributes of a thing");
  withNodeOptions(attr.command("get <thing>").description("print a thing's attributes")).action(
    async (thing: string, opts: NodeClientOpts) =>
      printResult(
        await nodeCall(opts, "GET", nodeUrl(opts, `/things/${encodeURIComponent(thing)}/attributes`)),
      ),
  );
  withNodeOptions(
    attr
      .command("set <thing> <attributes...>")
      .description(
        "merge attributes: a JSON object, or key=value pairs (location.rack=a1 labels.tier=gold; null deletes)",
      )
      .option("--replace", "replace all attributes instead of merging")
      .option("--version <n>", "fail with 409 unless the attributes are at this version"),
  ).action(
    async (thing: string, args: string[], opts: NodeClientOpts & { replace?: boolean; version?: string }) => {
      let body: Json;
      try {
        body =
          args.length === 1 && args[0]?.trim().startsWith("{")
            ? (JSON.parse(args[0]) as Json)
            : attributesFromPairs(args);
      } catch (err) {
        process.stderr.write(`umbra: ${(err as Error).message}\n`);
        process.exit(2);
      }
      const url = nodeUrl(opts, `/things/${encodeURIComponent(thing)}/attributes`);
      if (opts.version) url.searchParams.set("version", opts.version);
      printResult(await nodeCall(opts, opts.replace ? "PUT" : "PATCH", url, body));
    },
  );

  registerSystemCommands(program);
}

function registerSystemCommands(program: Command): void {
  const systems = program
    .command("systems")
    .description("systems: named groups of things and systems, with roll-ups");
  withNodeOptions(systems.command("list").description("every system").option("--json", "JSON")).action(
    async (opts: OutOpts) => {
      const r = await nodeCall(opts, "GET", nodeUrl(opts, "/systems"));
      if (opts.json) return printResult(r);
      const list = r.results as Json[];
      printResult(
        columns(
          ["SYSTEM", "THINGS", "SYSTEMS", "QUERY"],
          list.map((s) => [
            text(s.name),
            String((s.things as string[]).length),
            (s.systems as string[]).join(",") || "-",
            text(s.query),
          ]),
        ),
      );
      // Cycles closed by merging concurrent edits at two sites (docs/fleet.md, "Systems across sites").
      for (const c of (r.cycles as string[][] | undefined) ?? [])
        printResult(`cycle from a merge (its last edge is not followed): ${c.join(" → ")}`);
    },
  );
  withNodeOptions(systems.command("get <name>").description("a system and its resolved members")).action(
    async (name: string, opts: NodeClientOpts) =>
      printResult(await nodeCall(opts, "GET", nodeUrl(opts, `/systems/${encodeURIComponent(name)}`))),
  );
  withNodeOptions(
    systems
      .command("set <name>")
      .description("create or replace a system")
      .option("--things <list>", "comma-separated things")
      .option("--systems <list>", "comma-separated subsystems")
      .option("--query <q>", "dynamic members: a fleet query")
      .option("--description <text>", "what the system is"),
  ).action(
    async (
      name: string,
      opts: NodeClientOpts & { things?: string; systems?: string; query?: string; description?: string },
    ) => {
      const split = (s?: string) => (s ? s.split(",").filter(Boolean) : []);
      const body: Json = { things: split(opts.things), systems: split(opts.systems) };
      if (opts.query !== undefined) body.query = opts.query;
      if (opts.description !== undefined) body.description = opts.description;
      printResult(await nodeCall(opts, "PUT", nodeUrl(opts, `/systems/${encodeURIComponent(name)}`), body));
    },
  );
  withNodeOptions(
    systems.command("delete <name>").description("delete a system no other system contains"),
  ).action(async (name: string, opts: NodeClientOpts) =>
    printResult(await nodeCall(opts, "DELETE", nodeUrl(opts, `/systems/${encodeURIComponent(name)}`))),
  );
  // Per-system grants (docs/fleet.md): bind an operator identity to a system, unbind, list.
  for (const [verb, method, what] of [
    ["grant", "PUT", "bind an operator to a system: it may write desired only for the system's members"],
    ["revoke", "DELETE", "unbind an operator from a system"],
  ] as const) {
    withNodeOptions(systems.command(`${verb} <system> <identity>`).description(what)).action(
      async (system: string, identity: string, opts: NodeClientOpts) =>
        printResult(
          await nodeCall(
            opts,
            method,
            nodeUrl(opts, `/systems/${encodeURIComponent(system)}/operators/${encodeURIComponent(identity)}`),
          ),
        ),
    );
  }
  withNodeOptions(systems.command("operators <system>").description("operators bound to a system")).action(
    async (system: string, opts: NodeClientOpts) =>
      printResult(
        await nodeCall(opts, "GET", nodeUrl(opts, `/systems/${encodeURIComponent(system)}/operators`)),
      ),
  );
  withNodeOptions(
    systems
      .command("rollup <name>")
      .description("things, connected, not converged, conflicts, unreachable — per level")
      .option("--depth <n>", "levels of subsystems to show (default 1)", "1")
      .option("--json", "JSON"),
  ).action(async (name: string, opts: OutOpts & { depth: string }) => {
    const url = nodeUrl(opts, `/systems/${encodeURIComponent(name)}/rollup`);
    url.searchParams.set("depth", opts.depth);
    const r = await nodeCall(opts, "GET", url);
    if (opts.json) return printResult(r);
    printResult(
      columns(
        ["SYSTEM", "THINGS", "CONNECTED", "NOT CONVERGED", "CONFLICTS", "UNREACHABLE"],
        rollupRows(r, 0, []),
      ),
    );
  });
}
