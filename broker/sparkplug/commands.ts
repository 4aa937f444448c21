import { isJsonObject, type JsonObject, jsonEqual } from "../../shared/json.ts";
import type { BirthCertificate } from "./birth.ts";
import { type CommandMetric, coerceForDatatype } from "./codec.ts";

export interface CommandPlan {
  metrics: CommandMetric[];
  /** Desired metrics that cannot be sent: unknown to the birth, or a value the datatype cannot take. */
  refused: { name: string; reason: string }[];
}

const metricsOf = (section: JsonObject): JsonObject => (isJsonObject(section.metrics) ? section.metrics : {});

const own = (o: JsonObject, key: string) => (Object.hasOwn(o, key) ? o[key] : undefined);

/**
 * Which desired metrics to command. A metric is sent when its desired value differs from the reported
 * one and either it changed in this update (`previousDesired`) or `resend` is set (after a birth: the
 * edge node may have missed commands while offline). Values are checked against the birth's datatype
 * and sent with its alias.
 */
export function planCommands(
  birth: BirthCertificate,
  desired: JsonObject,
  reported: JsonObject,
  previousDesired: JsonObject | undefined,
): CommandPlan {
  const want = metricsOf(desired);
  const have = metricsOf(reported);
  const before = previousDesired === undefined ? undefined : metricsOf(previousDesired);
  const plan: CommandPlan = { metrics: [], refused: [] };
  for (const [name, value] of Object.entries(want)) {
    if (value === null || jsonEqual(own(have, name), value)) continue;
    if (before !== undefined && jsonEqual(own(before, name), value)) continue;
    const info = birth.metrics.get(name);
    if (!info) {
      plan.refused.push({ name, reason: "the edge node's birth certificate has no such metric" });
      continue;
    }
    const coerced = coerceForDatatype(info.datatype, value);
    if (!coerced.ok) {
      plan.refused.push({ name, reason: coerced.reason });
      continue;
    }
    const metric: CommandMetric = { name, datatype: info.datatype, value: coerced.value };
    if (info.alias !== undefined) metric.alias = info.alias;
    plan.metrics.push(metric);
  }
  return plan;
}
