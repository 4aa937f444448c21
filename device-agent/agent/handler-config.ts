import {
  absolutePath,
  type ConfigProblems,
  fail,
  join,
  objectAt,
  onlyKeys,
  optBool,
  optDuration,
  optInt,
  optString,
  optStringList,
} from "../../shared/config-check.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { formatPath, type Path, parsePath } from "./paths.ts";
import { parseTemplate, type Template } from "./template.ts";

/** What a desired value must look like before any handler acts on it. */
export interface ValueSpec {
  type: "string" | "number" | "integer" | "boolean" | "scalar" | "object" | "array" | "any";
  /** Strings must match this regular expression completely. */
  pattern?: RegExp;
  enum?: JsonValue[];
  /** Longest string (characters), and longest JSON of any other value. */
  maxLength: number;
  /** A value that is a whole argv element may start with `-` only if allowed (it could be read as an option). */
  allowLeadingDash: boolean;
}

interface HandlerBase {
  name: string;
  /** Desired path the handler acts on. */
  desired: Path;
  /** Reported path where the applied value goes (default: the desired path, which closes the delta). */
  reported: Path;
  timeoutMs: number;
  /** Retry failures (with the SDK's backoff); false for handlers whose failure needs a new desired value. */
  retry: boolean;
  value: ValueSpec;
}

export interface CommandHandler extends HandlerBase {
  kind: "command";
  command: Template[];
  cwd: string;
  env: Record<string, string>;
  /** `json`: the value as JSON on stdin; `none`: stdin is empty. */
  stdin: "none" | "json";
}

export interface FileHandler extends HandlerBase {
  kind: "file";
  path: string;
  /** Permission bits of a new file (an existing file keeps its own unless set). */
  mode?: number;
  maxBytes: number;
  encoding: "utf8" | "base64";
  /** Command run after the contents changed (e.g. reload a service). */
  afterWrite?: Template[];
}

export interface ScriptHandler extends HandlerBase {
  kind: "script";
  dir: string;
  /** Script names that may run; all executable files in `dir` when absent. */
  allow?: string[];
  args: Template[];
}

export type HandlerSpec = CommandHandler | FileHandler | ScriptHandler;

export const RESERVED_REPORTED = ["host", "agent"];
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const TIMEOUT = { min: 10, max: 24 * 3_600_000 };
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_LENGTH = 4096;

function pathAt(obj: JsonObject, key: string, where: string): Path | undefined {
  const text = optString(obj, key, where);
  if (text === undefined) return undefined;
  const path = parsePath(text);
  if (typeof path === "string") fail(join(where, key), path);
  if (path[0]?.startsWith("$"))
    fail(join(where, key), "paths starting with '$' are reserved for conventions");
  return path;
}

function templates(list: string[], where: string): Template[] {
  return list.map((s, i) => {
    const t = parseTemplate(s);
    if (typeof t === "string") fail(`${where}[${i}]`, t);
    return t;
  });
}

function commandAt(obj: JsonObject, key: string, where: string): Template[] | undefined {
  const list = optStringList(obj, key, where);
  if (list === undefined) return undefined;
  if (list.length === 0) fail(join(where, key), "must name a program");
  const t = templates(list, join(where, key));
  const program = t[0];
  if (program?.parts.length !== 1 || !("text" in program.parts[0]!)) {
    fail(`${join(where, key)}[0]`, "the program must be a fixed path, not built from the value");
  }
  absolutePath(list[0] ?? "", `${join(where, key)}[0]`);
  return t;
}

const TYPES = ["string", "number", "integer", "boolean", "scalar", "object", "array", "any"] as const;

function valueSpec(
  raw: JsonValue | undefined,
  where: string,
  type: ValueSpec["type"],
  p: ConfigProblems,
): ValueSpec {
  const spec: ValueSpec = { type, maxLength: DEFAULT_MAX_LENGTH, allowLeadingDash: false };
  if (raw === undefined || raw === null) return spec;
  const obj = objectAt(raw, where);
  onlyKeys(obj, where, ["type", "pattern", "enum", "maxLength", "allowLeadingDash"], p);
  const t = optString(obj, "type", where);
  if (t !== undefined) {
    if (!(TYPES as readonly string[]).includes(t))
      fail(join(where, "type"), `must be one of ${TYPES.join(", ")}`);
    spec.type = t as ValueSpec["type"];
  }
  const pattern = optString(obj, "pattern", where);
  if (pattern !== undefined) {
    try {
      // Anchored: a pattern that only has to match somewhere would let anything else through around it.
      spec.pattern = new RegExp(`^(?:${pattern})$`, "u");
    } catch (err) {
      fail(join(where, "pattern"), `is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  if (obj.enum !== undefined) {
    if (!Array.isArray(obj.enum) || obj.enum.length === 0)
      fail(join(where, "enum"), "must be a non-empty list");
    spec.enum = obj.enum;
  }
  spec.maxLength = optInt(obj, "maxLength", where, 1, 1_048_576) ?? spec.maxLength;
  spec.allowLeadingDash = optBool(obj, "allowLeadingDash", where) ?? false;
  return spec;
}

const COMMON = ["desired", "reported", "timeout", "retry", "value"];

/**
 * One entry of `handlers:`; `scriptsDir` is the default directory of script handlers. Unknown keys go to `p`
 * and checking goes on; the first wrong value throws (the caller collects it beside the other handlers').
 */
export function parseHandler(
  name: string,
  raw: JsonValue | undefined,
  scriptsDir: string | undefined,
  p: ConfigProblems,
): HandlerSpec {
  const where = `handlers.${name}`;
  if (!NAME.test(name)) fail(where, "handler names are 1-64 letters, digits, _ or -");
  const obj = objectAt(raw, where);
  const kinds = (["command", "file", "script"] as const).filter((k) => obj[k] !== undefined);
  if (kinds.length !== 1) {
    // `comand:` is both an unknown key (with its hint) and the reason no kind was found.
    if (kinds.length === 0)
      onlyKeys(obj, where, [...COMMON, "command", "file", "script", "cwd", "env", "stdin"], p);
    fail(
      where,
      `must have exactly one of command, file, script (found ${kinds.length ? kinds.join(", ") : "none"})`,
    );
  }
  const kind = kinds[0]!;
  const extra = kind === "command" ? ["cwd", "env", "stdin"] : [];
  onlyKeys(obj, where, [...COMMON, kind, ...extra], p);
  const desired =
    pathAt(obj, "desired", where) ?? fail(join(where, "desired"), "is required (the desired path)");
  const reported = pathAt(obj, "reported", where) ?? desired;
  if (RESERVED_REPORTED.includes(reported[0] ?? "")) {
    fail(join(where, "reported"), `'${reported[0]}' is reserved for the agent's facts`);
  }
  const base = {
    name,
    desired,
    reported,
    timeoutMs: optDuration(obj, "timeout", where, TIMEOUT) ?? DEFAULT_TIMEOUT_MS,
    retry: optBool(obj, "retry", where) ?? true,
  };
  if (kind === "command") {
    const env = obj.env === undefined ? {} : objectAt(obj.env, join(where, "env"));
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== "string") fail(join(join(where, "env"), k), "must be a string");
    }
    const stdin = optString(obj, "stdin", where) ?? "none";
    if (stdin !== "none" && stdin !== "json") fail(join(where, "stdin"), "must be none or json");
    return {
      ...base,
      kind,
      value: valueSpec(obj.value, join(where, "value"), "scalar", p),
      command: commandAt(obj, "command", where)!,
      cwd: absolutePath(optString(obj, "cwd", where) ?? "/", join(where, "cwd")),
      env: env as Record<string, string>,
      stdin,
    };
  }
  const sub = objectAt(obj[kind], join(where, kind));
  const at = join(where, kind);
  if (kind === "file") {
    onlyKeys(sub, at, ["path", "mode", "maxBytes", "encoding", "afterWrite"], p);
    const path = absolutePath(
      optString(sub, "path", at) ?? fail(join(at, "path"), "is required"),
      join(at, "path"),
    );
    if (path.endsWith("/")) fail(join(at, "path"), "must name a file, not a directory");
    const modeText = sub.mode;
    let mode: number | undefined;
    if (modeText !== undefined) {
      // YAML 1.2 reads 0644 as the decimal number 644: only a quoted string is unambiguous.
      if (typeof modeText !== "string" || !/^0?o?[0-7]{3,4}$/.test(modeText)) {
        fail(join(at, "mode"), "must be a quoted octal string like '0644'");
      }
      mode = parseInt(modeText.replace(/^0?o?/, ""), 8);
    }
    const encoding = optString(sub, "encoding", at) ?? "utf8";
    if (encoding !== "utf8" && encoding !== "base64") fail(join(at, "encoding"), "must be utf8 or base64");
    return {
      ...base,
      kind,
      value: valueSpec(obj.value, join(where, "value"), "string", p),
      path,
      mode,
      maxBytes: optInt(sub, "maxBytes", at, 1, 16 * 1_048_576) ?? 65_536,
      encoding,
      afterWrite: commandAt(sub, "afterWrite", at),
    };
  }
  onlyKeys(sub, at, ["dir", "allow", "args"], p);
  const dir =
    optString(sub, "dir", at) ?? scriptsDir ?? fail(join(at, "dir"), "is required (or set scriptsDir)");
  const allow = optStringList(sub, "allow", at);
  allow?.forEach((s, i) => {
    if (!SCRIPT_NAME.test(s) || s.includes(".."))
      fail(`${join(at, "allow")}[${i}]`, `'${s}' is not a valid script name`);
  });
  return {
    ...base,
    kind,
    value: valueSpec(obj.value, join(where, "value"), "any", p),
    dir: absolutePath(dir, join(at, "dir")),
    allow,
    args: templates(optStringList(sub, "args", at) ?? [], join(at, "args")),
  };
}

/** Desired (and reported) locations of two handlers must not overlap: one delta path, one owner. */
export function checkOverlaps(handlers: HandlerSpec[], overlaps: (a: Path, b: Path) => boolean): void {
  handlers.forEach((a, i) => {
    for (const b of handlers.slice(i + 1)) {
      if (overlaps(a.desired, b.desired)) {
        fail(
          `handlers.${b.name}.desired`,
          `'${formatPath(b.desired)}' overlaps handler ${a.name} ('${formatPath(a.desired)}')`,
        );
      }
      if (overlaps(a.reported, b.reported)) {
        fail(
          `handlers.${b.name}.reported`,
          `'${formatPath(b.reported)}' overlaps handler ${a.name} ('${formatPath(a.reported)}')`,
        );
      }
    }
  });
}
