import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "../../shared/json.ts";
import { type HandlerSpec, SCRIPT_NAME, type ValueSpec } from "./handler-config.ts";
import { formatPath, getPath, leafPaths, overlaps } from "./paths.ts";
import { isWholeValue, renderTemplate, type Template } from "./template.ts";

/**
 * Planning: what each handler would do for a delta, decided before anything runs. The same plan is
 * printed by `--dry-run` and executed by the agent, so a dry run shows exactly what would happen.
 * Everything that can be refused (a value of the wrong shape, an unknown script) is refused here.
 */
export type Step =
  | { kind: "run"; argv: string[]; stdin?: string }
  | {
      kind: "write";
      path: string;
      content: Buffer;
      mode?: number;
      unchanged: boolean;
      afterWrite?: string[];
    };

export interface Action {
  handler: HandlerSpec;
  /** The desired value at the handler's path. */
  value: JsonValue;
  /** What would happen, or why it cannot. */
  step?: Step;
  error?: string;
}

export interface Plan {
  actions: Action[];
  /** Delta leaves (dot paths) no handler is configured for. */
  unhandled: string[];
  /** Handlers whose delta is already reported (e.g. a retry after a partial success). */
  alreadyApplied: HandlerSpec[];
}

export function validateValue(spec: ValueSpec, value: JsonValue): string | undefined {
  const t = spec.type;
  const ok =
    t === "any" ||
    (t === "string" && typeof value === "string") ||
    (t === "number" && typeof value === "number") ||
    (t === "integer" && Number.isInteger(value)) ||
    (t === "boolean" && typeof value === "boolean") ||
    (t === "scalar" && ["string", "number", "boolean"].includes(typeof value)) ||
    (t === "object" && isJsonObject(value)) ||
    (t === "array" && Array.isArray(value));
  if (!ok)
    return `the value must be ${t === "integer" || t === "array" || t === "object" ? "an" : "a"} ${t}, got ${JSON.stringify(value)}`;
  const length = typeof value === "string" ? value.length : JSON.stringify(value).length;
  if (length > spec.maxLength) return `the value is longer than ${spec.maxLength} characters`;
  if (spec.pattern && (typeof value !== "string" || !spec.pattern.test(value))) {
    return `the value does not match the pattern ${spec.pattern.source.slice(4, -2)}`;
  }
  if (spec.enum && !spec.enum.some((e) => jsonEqual(e, value))) {
    return `the value must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  }
  return undefined;
}

function renderArgv(
  templates: Template[],
  spec: ValueSpec,
  ctx: { value: JsonValue; thing: string; path: string },
): string[] | string {
  const argv: string[] = [];
  for (const t of templates) {
    const r = renderTemplate(t, ctx);
    if ("error" in r) return r.error;
    if (isWholeValue(t) && r.arg.startsWith("-") && !spec.allowLeadingDash) {
      return `the value '${r.arg.slice(0, 40)}' starts with '-' and could be read as an option (set value.allowLeadingDash to allow)`;
    }
    argv.push(r.arg);
  }
  return argv;
}

/** Reads an existing file to tell whether a write would change it (bounded: larger files differ anyway). */
function sameContent(path: string, content: Buffer): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size === content.length && readFileSync(path).equals(content);
  } catch {
    return false;
  }
}

function planFile(
  h: Extract<HandlerSpec, { kind: "file" }>,
  value: JsonValue,
  ctx: { thing: string; path: string },
): Step | string {
  if (typeof value !== "string")
    return `the value must be a string (the file's contents), got ${JSON.stringify(value).slice(0, 40)}`;
  if (h.encoding === "base64" && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(value))
    return "the value is not valid base64";
  const content = Buffer.from(value, h.encoding);
  if (content.length > h.maxBytes)
    return `the contents are ${content.length} bytes, more than maxBytes ${h.maxBytes}`;
  const afterWrite = h.afterWrite ? renderArgv(h.afterWrite, h.value, { value, ...ctx }) : undefined;
  if (typeof afterWrite === "string") return afterWrite;
  return {
    kind: "write",
    path: h.path,
    content,
    mode: h.mode,
    unchanged: sameContent(h.path, content),
    afterWrite,
  };
}

/** The script a value names, resolved inside the handler's directory (no `..`, no symlink out of it). */
export function resolveScript(
  h: Extract<HandlerSpec, { kind: "script" }>,
  value: JsonValue,
): string | { error: string } {
  let name: JsonValue | undefined = value;
  if (isJsonObject(value)) {
    const extra = Object.keys(value).filter((k) => k !== "name" && k !== "run");
    if (extra.length > 0)
      return { error: `unknown field '${extra[0]}' (a script value is a name or {name, run})` };
    name = value.name;
  }
  if (typeof name !== "string") return { error: "the value must be a script name or {name, run}" };
  if (!SCRIPT_NAME.test(name) || name.includes(".."))
    return { error: `'${name.slice(0, 60)}' is not a valid script name` };
  if (h.allow && !h.allow.includes(name)) return { error: `script '${name}' is not in the allow list` };
  let dir: string;
  let path: string;
  try {
    dir = realpathSync(h.dir);
    path = realpathSync(join(h.dir, name));
  } catch {
    return { error: `no script '${name}' in ${h.dir}` };
  }
  if (!path.startsWith(dir + sep)) return { error: `script '${name}' resolves outside ${h.dir}` };
  try {
    if (!statSync(path).isFile()) return { error: `script '${name}' is not a regular file` };
    accessSync(path, constants.X_OK);
  } catch {
    return { error: `script '${name}' is not executable` };
  }
  return path;
}

function planStep(h: HandlerSpec, value: JsonValue, thing: string): Step | string {
  const ctx = { thing, path: formatPath(h.desired) };
  const invalid = validateValue(h.value, value);
  if (invalid) return invalid;
  if (h.kind === "file") return planFile(h, value, ctx);
  if (h.kind === "script") {
    const script = resolveScript(h, value);
    if (typeof script !== "string") return script.error;
    const args = renderArgv(h.args, h.value, { value, ...ctx });
    return typeof args === "string" ? args : { kind: "run", argv: [script, ...args] };
  }
  const argv = renderArgv(h.command, h.value, { value, ...ctx });
  if (typeof argv === "string") return argv;
  return { kind: "run", argv, ...(h.stdin === "json" ? { stdin: JSON.stringify(value) } : {}) };
}

/**
 * The plan for a delta. A handler acts when some delta leaf lies at or under its desired path; it gets
 * the whole desired value at that path. A handler whose reported path already holds that value is left
 * out (nothing to do), so a retried delta does not re-run what already succeeded.
 */
export function planDelta(
  handlers: readonly HandlerSpec[],
  delta: JsonObject,
  state: { desired: JsonObject; reported: JsonObject },
  thing: string,
): Plan {
  const leaves = leafPaths(delta);
  const plan: Plan = { actions: [], unhandled: [], alreadyApplied: [] };
  for (const leaf of leaves) {
    if (!handlers.some((h) => overlaps(h.desired, leaf))) plan.unhandled.push(leaf.join("."));
  }
  for (const h of handlers) {
    if (!leaves.some((leaf) => overlaps(h.desired, leaf))) continue;
    const value = getPath(state.desired, h.desired);
    if (value === undefined) continue; // the delta names a parent that is not an object here: nothing at this path
    if (jsonEqual(getPath(state.reported, h.reported), value)) {
      plan.alreadyApplied.push(h);
      continue;
    }
    const step = planStep(h, value, thing);
    plan.actions.push(
      typeof step === "string" ? { handler: h, value, error: step } : { handler: h, value, step },
    );
  }
  return plan;
}
