import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";

/** The section of `reported` the SDK owns: `reported.$status.conditions`, modelled on Kubernetes. */
export const STATUS_KEY = "$status";
export const RECONCILED = "Reconciled";

/** Reasons the SDK writes on the `Reconciled` condition (CamelCase, as in Kubernetes). */
export const REASONS = {
  applied: "Applied",
  cannot: "CannotApply",
  failed: "HandlerFailed",
} as const;

/**
 * One condition, as in Kubernetes' `metav1.Condition`: `lastTransitionTime` changes only when `status`
 * does; `observedVersion` is the shadow version whose desired state the device last acted on (Kubernetes'
 * `observedGeneration`).
 */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedVersion: number;
}

/** The conditions currently in `reported` (anything malformed is dropped). */
export function conditionsOf(reported: JsonObject): JsonObject[] {
  const status = reported[STATUS_KEY];
  if (!isJsonObject(status) || !Array.isArray(status.conditions)) return [];
  return status.conditions.filter((c): c is JsonObject => isJsonObject(c) && typeof c.type === "string");
}

/**
 * The `$status` patch that sets one condition, keeping every other condition type that is already there
 * (an application may add its own). Conditions are an array, which the shadow replaces whole.
 */
export function conditionPatch(
  reported: JsonObject,
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): JsonObject {
  const current = conditionsOf(reported);
  const previous = current.find((c) => c.type === next.type);
  const keep = previous?.status === next.status && typeof previous.lastTransitionTime === "string";
  const condition: Condition = {
    ...next,
    lastTransitionTime: keep ? (previous.lastTransitionTime as string) : now.toISOString(),
  };
  const others = current.filter((c) => c.type !== next.type);
  return { [STATUS_KEY]: { conditions: [...others, condition as unknown as JsonValue] } };
}
