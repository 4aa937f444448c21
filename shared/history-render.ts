import type { JsonValue } from "./json.ts";

/**
 * Human tables of the history API's replies (what `umbra shadow history|diff|blame` print without
 * --json). The shapes are those of broker/history/history-queries.ts.
 */
export interface ApiOp {
  op: "set" | "delete";
  path: string[];
  value?: JsonValue;
}

export interface ApiChange {
  version: number;
  time: string;
  kind: string;
  site?: string;
  via?: string;
  identity?: { name: string; role: string };
  clientToken?: string;
}

export interface ApiRecord extends ApiChange {
  desired?: ApiOp[];
  reported?: ApiOp[];
}

export interface ApiBlameLine {
  path: string[];
  value: JsonValue;
  change?: ApiChange;
  pruned?: boolean;
}

export interface ApiLeafChange {
  path: string[];
  before?: JsonValue;
  after?: JsonValue;
}

const MAX_CELL = 48;

function cell(v: JsonValue | undefined): string {
  if (v === undefined) return "-";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
}

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function columns(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const time = (iso: string) => iso.replace("T", " ").replace(/Z$/, "");
const who = (c: ApiChange) => (c.identity ? `${c.identity.name} (${c.identity.role})` : "-");
const where = (c: ApiChange) => (c.via ? `${c.site ?? "?"} via ${c.via}` : (c.site ?? "-"));

function describeOps(section: string, ops: ApiOp[] | undefined): string[] {
  return (ops ?? []).map((op) =>
    op.op === "delete"
      ? `${section}.${op.path.join(".")} deleted`
      : `${section}.${op.path.join(".")}=${cell(op.value)}`,
  );
}

export function renderHistoryTable(records: readonly ApiRecord[]): string {
  const rows = [["VERSION", "TIME (UTC)", "KIND", "SITE", "IDENTITY", "TOKEN", "CHANGES"]];
  for (const r of records) {
    const changes = [...describeOps("desired", r.desired), ...describeOps("reported", r.reported)];
    rows.push([
      String(r.version),
      time(r.time),
      r.kind,
      where(r),
      who(r),
      r.clientToken ?? "-",
      changes.join(" ") || (r.kind === "delete" ? "(shadow deleted)" : "-"),
    ]);
  }
  return columns(rows);
}

export function renderBlameTable(lines: { desired: ApiBlameLine[]; reported: ApiBlameLine[] }): string {
  const rows = [["LEAF", "VALUE", "VERSION", "TIME (UTC)", "SITE", "IDENTITY", "TOKEN"]];
  for (const section of ["desired", "reported"] as const) {
    for (const l of lines[section]) {
      const c = l.change;
      rows.push([
        `${section}.${l.path.join(".")}`,
        cell(l.value),
        c ? String(c.version) : "pruned",
        c ? time(c.time) : "-",
        c ? where(c) : "-",
        c ? who(c) : "-",
        c?.clientToken ?? "-",
      ]);
    }
  }
  return columns(rows);
}

export function renderDiffTable(diff: { desired: ApiLeafChange[]; reported: ApiLeafChange[] }): string {
  const rows = [["LEAF", "BEFORE", "AFTER"]];
  for (const section of ["desired", "reported"] as const) {
    for (const d of diff[section])
      rows.push([`${section}.${d.path.join(".")}`, cell(d.before), cell(d.after)]);
  }
  return columns(rows);
}
