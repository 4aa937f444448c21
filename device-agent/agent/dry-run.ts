import type { JsonValue } from "../../shared/json.ts";
import { formatPath } from "./paths.ts";
import type { Action, Plan } from "./plan.ts";

/**
 * `--dry-run`: the plan of a delta as lines a person reads — what each handler would run or write,
 * and what it would report — without doing any of it (the "interpreter" idea: simulate a change
 * before applying it). The agent in dry-run mode also reports nothing and publishes no telemetry.
 */
function ms(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}

/** The value as compact JSON, cut short: enough to recognise it, not a whole file's contents. */
function preview(value: JsonValue, max = 60): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function describeAction(a: Action): string {
  const h = a.handler;
  const head = `${h.name} (${h.kind}) for desired ${formatPath(h.desired)}`;
  if (!a.step) return `${head}: would refuse: ${a.error}`;
  const report = `report ${formatPath(h.reported)} = ${preview(a.value)}`;
  const step = a.step;
  if (step.kind === "run") {
    const stdin = step.stdin === undefined ? "" : ` with the value as JSON on stdin`;
    return `${head}: would run ${JSON.stringify(step.argv)}${stdin} (timeout ${ms(h.timeoutMs)}), and ${report}`;
  }
  const mode = step.mode === undefined ? "" : ` (mode 0${step.mode.toString(8)})`;
  if (step.unchanged)
    return `${head}: ${step.path} already has these ${step.content.length} bytes; would only ${report}`;
  const afterWrite = step.afterWrite
    ? `, then run ${JSON.stringify(step.afterWrite)} (timeout ${ms(h.timeoutMs)})`
    : "";
  return `${head}: would write ${step.content.length} bytes to ${step.path}${mode} atomically${afterWrite}, and ${report}`;
}

export function describePlan(plan: Plan, version?: number): string[] {
  const at = version === undefined ? "" : ` (shadow version ${version})`;
  const lines: string[] = [];
  if (plan.actions.length === 0 && plan.unhandled.length === 0 && plan.alreadyApplied.length === 0) {
    return [`dry-run: nothing to do${at}`];
  }
  for (const a of plan.actions) lines.push(`dry-run${at}: ${describeAction(a)}`);
  for (const h of plan.alreadyApplied) {
    lines.push(
      `dry-run${at}: ${h.name}: ${formatPath(h.reported)} already reports the desired value; nothing to do`,
    );
  }
  for (const p of plan.unhandled) lines.push(`dry-run${at}: no handler for desired ${p}; would ignore it`);
  return lines;
}
