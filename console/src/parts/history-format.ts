import type { ApiChange, ApiOp } from "../../../shared/history-render.ts";

export type {
  ApiBlameLine,
  ApiChange,
  ApiLeafChange,
  ApiOp,
  ApiRecord,
} from "../../../shared/history-render.ts";

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
