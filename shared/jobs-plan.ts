import type { DestructiveRule, JobSpec } from "./jobs-spec.ts";
import { jobWrite } from "./jobs-spec.ts";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "./json.ts";
import { getAt, type JsonPath } from "./json-path.ts";

/**
 * The per-thing plan of a job (docs/jobs.md): what would change and what is refused. The dry run and
 * the runner both call `planThing`, so the dry run is the same job interpreted without writing.
 */

/**
 * Destructive desired values, from the shipped bridge profiles (firmware-bridge/profiles): power
 * off/cycle/restart of a chassis or BMC (ipmi-chassis, redfish-server), an outlet switched off
 * (apc-pdu-snmp `outlets.{index}.power`, generic-modbus-pdu `outlets.N`).
 */
export const DESTRUCTIVE_RULES: readonly DestructiveRule[] = [
  { path: "power", values: ["off", "cycle", "restart"] },
  { path: "outlets.*.power", values: ["off"] },
  { path: "outlets.*", values: ["off", false] },
];

export interface Leaf {
  path: JsonPath;
  /** The value written; null deletes the key. */
  value: JsonValue;
}

/**
 * The leaves of a job's desired patch: nested objects are walked, anything else (arrays too) is a leaf,
 * and so is an empty object (a job may write `{}`), unlike shared/json-path.ts's `leavesOf` of state.
 */
export function patchLeaves(patch: JsonObject, prefix: string[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const [k, v] of Object.entries(patch)) {
    const path = [...prefix, k];
    if (isJsonObject(v) && Object.keys(v).length > 0) out.push(...patchLeaves(v, path));
    else out.push({ path, value: v });
  }
  return out;
}

function pathMatches(rule: string, path: JsonPath): boolean {
  const parts = rule.split(".");
  return parts.length === path.length && parts.every((p, i) => p === "*" || p === path[i]);
}

/** The leaves a rule list calls destructive, as `path=value` strings. */
export function destructiveLeaves(leaves: readonly Leaf[], rules: readonly DestructiveRule[]): string[] {
  const hits: string[] = [];
  for (const leaf of leaves) {
    const rule = rules.find(
      (r) =>
        pathMatches(r.path, leaf.path) &&
        (r.values === undefined || r.values.some((v) => jsonEqual(v, leaf.value))),
    );
    if (rule) hits.push(`${leaf.path.join(".")}=${JSON.stringify(leaf.value)}`);
  }
  return hits;
}

export type RefusalCode = "access" | "claim" | "destructive" | "limits" | "not_found";

export interface Refusal {
  code: RefusalCode;
  reason: string;
}

export interface LeafChange {
  path: string;
  /** Current desired at the path (undefined: absent). */
  desired?: JsonValue;
  /** Current reported at the path. */
  reported?: JsonValue;
  /** What the job writes (null: delete). */
  to: JsonValue;
}

export interface ThingPlan {
  thing: string;
  /** Leaves whose desired value would change. */
  changes: LeafChange[];
  /** Leaves already desired but not yet reported (the write changes nothing; the device has work). */
  pending: LeafChange[];
  /** Nothing to write and nothing to wait for. */
  noop: boolean;
  refused?: Refusal;
}

/** `POST /jobs/dry-run`: the plan of every target thing and its counts (the console shows it). */
export interface DryRun {
  things: number;
  wouldChange: number;
  wouldWait: number;
  noop: number;
  refused: Record<string, number>;
  /** Destructive values the job writes; `confirm` is needed to run it. */
  destructive: string[];
  confirmRequired: boolean;
  plans: ThingPlan[];
}

/** What is known about one thing when planning: its state, and the checks the node made. */
export interface ThingFacts {
  thing: string;
  desired: JsonObject;
  reported: JsonObject;
  /** Why the creator may not write this thing (grant), or null. */
  accessDenial: string | null;
  /** The maintenance claim that blocks the job here, or null. */
  claimDenial: string | null;
  /** Why the service would refuse the write (limits, validation), or null. */
  serviceDenial: string | null;
}

/** Every rule that applies to a job: the node's and the job's own additions. */
export const rulesOf = (spec: JobSpec): DestructiveRule[] => [...DESTRUCTIVE_RULES, ...spec.destructive];

/** Destructive values the job writes without `confirm` (empty when confirmed or none). */
export function unconfirmedDestructive(spec: JobSpec): string[] {
  return spec.confirm ? [] : destructiveLeaves(patchLeaves(jobWrite(spec)), rulesOf(spec));
}

/** Plans one thing: the diff against its desired and reported, or why the job may not write it. */
export function planThing(spec: JobSpec, facts: ThingFacts): ThingPlan {
  const changes: LeafChange[] = [];
  const pending: LeafChange[] = [];
  for (const leaf of patchLeaves(jobWrite(spec))) {
    const desired = getAt(facts.desired, leaf.path);
    const reported = getAt(facts.reported, leaf.path);
    const c: LeafChange = { path: leaf.path.join("."), to: leaf.value };
    if (desired !== undefined) c.desired = desired;
    if (reported !== undefined) c.reported = reported;
    const same = leaf.value === null ? desired === undefined : jsonEqual(desired, leaf.value);
    // A command already desired was never cleared: nothing to write, but the device still has it to do.
    if (!same) changes.push(c);
    else if (spec.command !== undefined || (leaf.value !== null && !jsonEqual(reported, leaf.value))) {
      pending.push(c);
    }
  }
  const plan: ThingPlan = {
    thing: facts.thing,
    changes,
    pending,
    noop: changes.length === 0 && pending.length === 0,
  };
  const refused = refusalOf(spec, facts);
  if (refused) plan.refused = refused;
  return plan;
}

function refusalOf(spec: JobSpec, facts: ThingFacts): Refusal | undefined {
  if (facts.accessDenial) return { code: "access", reason: facts.accessDenial };
  if (facts.claimDenial) return { code: "claim", reason: facts.claimDenial };
  const destructive = unconfirmedDestructive(spec);
  if (destructive.length > 0) {
    return { code: "destructive", reason: `destructive without confirm: ${destructive.join(", ")}` };
  }
  if (facts.serviceDenial) return { code: "limits", reason: facts.serviceDenial };
  return undefined;
}

/**
 * Whether a written thing has converged: for a patch, reported equals the written value at every
 * leaf (deleted keys need nothing); for a one-shot command, the device removed every command key.
 */
export function hasConverged(spec: JobSpec, desired: JsonObject, reported: JsonObject): boolean {
  const leaves = patchLeaves(jobWrite(spec));
  if (spec.command !== undefined) return leaves.every((l) => getAt(desired, l.path) === undefined);
  return leaves.every((l) => l.value === null || jsonEqual(getAt(reported, l.path), l.value));
}
