import { Ajv, type ErrorObject } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { compileThingPattern, isValidThingPattern, type ThingPattern } from "./glob.ts";
import { parseDuration } from "./telemetry-duration.ts";

/**
 * Alarm rules (docs/alarms.md): one YAML file per system. Validated against a JSON Schema (ajv, as the
 * bridge's profiles are) and every problem is reported with its file, line and key, so that
 * `umbra rules check` and the node's loader say exactly what to fix.
 */

export const RULE_KINDS = [
  "telemetry",
  "reported",
  "offline",
  "unreachable",
  "not-converged",
  "conflicts",
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const SEVERITIES = ["critical", "major", "minor", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Comparison =
  | { op: "above"; value: number }
  | { op: "below"; value: number }
  | { op: "equals"; value: string | number | boolean | null }
  | { op: "notEquals"; value: string | number | boolean | null };

export interface AlarmRule {
  /** `system/name`: unique across the node. */
  readonly id: string;
  readonly system: string;
  readonly name: string;
  readonly kind: RuleKind;
  readonly severity: Severity;
  /** Milliseconds the condition must hold before the alarm is raised. */
  readonly forMs: number;
  readonly things?: ThingPattern;
  /** telemetry: the metric; reported: the path below `reported` as keys. */
  readonly metric?: string;
  readonly path?: readonly string[];
  readonly compare?: Comparison;
  readonly summary?: string;
  /** Where the rule came from (`rack.yaml:12`), for messages. */
  readonly source: string;
}

export interface RuleProblem {
  file: string;
  line: number;
  key: string;
  problem: string;
}

const NAME = "^[A-Za-z0-9:_-]{1,128}$";
const scalar = { type: ["number", "string", "boolean", "null"] };

export const RULES_SCHEMA = {
  type: "object",
  required: ["system", "rules"],
  additionalProperties: false,
  properties: {
    system: { type: "string", pattern: NAME },
    description: { type: "string" },
    things: { type: "string", minLength: 1 },
    rules: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "kind"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: NAME },
          kind: { enum: [...RULE_KINDS] },
          severity: { enum: [...SEVERITIES] },
          for: { type: "string" },
          things: { type: "string", minLength: 1 },
          metric: { type: "string", minLength: 1 },
          path: { type: "string", pattern: "^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$" },
          above: { type: "number" },
          below: { type: "number" },
          equals: scalar,
          notEquals: scalar,
          summary: { type: "string" },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(RULES_SCHEMA);

function describe(e: ErrorObject): { key: string; problem: string } {
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { key: `${e.instancePath}/${extra}`, problem: `unknown key '${extra}'` };
  }
  if (e.keyword === "enum")
    return {
      key: e.instancePath,
      problem: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`,
    };
  if (e.keyword === "required")
    return {
      key: e.instancePath || "/",
      problem: `missing '${(e.params as { missingProperty: string }).missingProperty}'`,
    };
  return { key: e.instancePath || "/", problem: e.message ?? e.keyword };
}

type Raw = Record<string, unknown>;

/** Parses and checks one rules file; `file` names it in rule sources and problems. */
export function parseRulesFile(
  file: string,
  text: string,
): { rules: AlarmRule[]; system?: string; problems: RuleProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  if (doc.errors.length > 0) {
    return {
      rules: [],
      problems: doc.errors.map((e) => ({ file, line: lineOf(e.pos[0]), key: "/", problem: e.message })),
    };
  }
  // The line of a JSON pointer into the document (`/rules/2/above`), found through the YAML nodes.
  const lineAt = (pointer: string): number => {
    const keys = pointer.split("/").filter((k) => k !== "");
    for (let n = keys.length; n >= 0; n--) {
      const node = doc.getIn(
        keys.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
        true,
      ) as { range?: [number, number, number] } | undefined;
      if (n === 0) return lineOf((doc.contents as { range?: number[] } | null)?.range?.[0]);
      if (node && (isMap(node) || isSeq(node) || node.range)) return lineOf(node.range?.[0]);
    }
    return 1;
  };
  const data = doc.toJS() as unknown;
  const problems: RuleProblem[] = [];
  const add = (key: string, problem: string) => problems.push({ file, line: lineAt(key), key, problem });
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const d = describe(e);
      add(d.key, d.problem);
    }
    return { rules: [], problems };
  }
  const root = data as unknown as Raw;
  const system = root.system as string;
  if (typeof root.things === "string" && !isValidThingPattern(root.things))
    add("/things", "not a thing-name glob (letters, digits, : _ - and * ?, comma-separated)");
  const rules: AlarmRule[] = [];
  const seen = new Set<string>();
  (root.rules as Raw[]).forEach((r, i) => {
    const at = `/rules/${i}`;
    const before = problems.length;
    const name = r.name as string;
    const kind = r.kind as RuleKind;
    if (seen.has(name)) add(`${at}/name`, `rule '${name}' is defined twice in this file`);
    seen.add(name);
    let forMs = 0;
    if (r.for !== undefined) {
      const ms = parseDuration(String(r.for));
      if (ms === null) add(`${at}/for`, `not a duration (use 30s, 5m, 1h, 2d)`);
      else forMs = ms;
    }
    const ops = (["above", "below", "equals", "notEquals"] as const).filter((k) => k in r);
    const compares = kind === "telemetry" || kind === "reported";
    if (compares && ops.length !== 1)
      add(at, `a ${kind} rule needs exactly one of above, below, equals, notEquals`);
    if (!compares && ops.length > 0) add(`${at}/${ops[0]}`, `a ${kind} rule takes no comparison`);
    if (kind === "telemetry" && typeof r.metric !== "string") add(at, "a telemetry rule needs 'metric'");
    if (kind === "reported" && typeof r.path !== "string") add(at, "a reported rule needs 'path'");
    if (kind !== "telemetry" && r.metric !== undefined)
      add(`${at}/metric`, `only telemetry rules take 'metric'`);
    if (kind !== "reported" && r.path !== undefined) add(`${at}/path`, `only reported rules take 'path'`);
    if (
      kind === "telemetry" &&
      (ops[0] === "equals" || ops[0] === "notEquals") &&
      typeof r[ops[0]] !== "number"
    )
      add(`${at}/${ops[0]}`, "telemetry values are numbers");
    if (typeof r.things === "string" && !isValidThingPattern(r.things))
      add(`${at}/things`, "not a thing-name glob (letters, digits, : _ - and * ?, comma-separated)");
    if (problems.length > before) return;
    const op = ops[0];
    const things = (r.things as string | undefined) ?? (root.things as string | undefined);
    rules.push({
      id: `${system}/${name}`,
      system,
      name,
      kind,
      severity: (r.severity as Severity | undefined) ?? "warning",
      forMs,
      ...(things ? { things: compileThingPattern(things) } : {}),
      ...(kind === "telemetry" ? { metric: r.metric as string } : {}),
      ...(kind === "reported" ? { path: (r.path as string).split(".") } : {}),
      ...(op ? { compare: { op, value: r[op] } as Comparison } : {}),
      ...(typeof r.summary === "string" ? { summary: r.summary } : {}),
      source: `${file}:${lineAt(at)}`,
    });
  });
  return { rules: problems.length > 0 ? [] : rules, system, problems };
}

export const formatProblem = (p: RuleProblem) => `${p.file}:${p.line}: ${p.key}: ${p.problem}`;
