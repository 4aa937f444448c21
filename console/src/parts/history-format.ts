/**
 * The history API's answers (docs/shadow-protocol.md "History"). The same shapes are declared in
 * shared/history-render.ts, which the console cannot import: it pulls in Node types (shared/json.ts).
 */
export interface ApiOp {
  op: "set" | "delete";
  path: string[];
  value?: unknown;
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
  value: unknown;
  change?: ApiChange;
  pruned?: boolean;
}

export interface ApiLeafChange {
  path: string[];
  before?: unknown;
  after?: unknown;
}

/** `desired.power.state` for a section and a leaf path. */
export const leafName = (section: string, path: string[]) => [section, ...path].join(".");

/** One line per leaf op of a change: `desired.power = "on"`, `reported.temp deleted`. */
export function opLines(r: { desired?: ApiOp[]; reported?: ApiOp[] }): string[] {
  const lines: string[] = [];
  for (const section of ["desired", "reported"] as const)
    for (const op of r[section] ?? [])
      lines.push(
        op.op === "set"
          ? `${leafName(section, op.path)} = ${JSON.stringify(op.value)}`
          : `${leafName(section, op.path)} deleted`,
      );
  return lines;
}

/** Who wrote a change: the identity where the write was accepted, else the kind (a merge). */
export function author(c: ApiChange): string {
  return c.identity ? `${c.identity.name} (${c.identity.role})` : c.kind === "merge" ? "merged" : "—";
}

export function whereFrom(c: ApiChange): string {
  return `${c.site ?? "—"}${c.via ? ` via ${c.via}` : ""}`;
}

export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
