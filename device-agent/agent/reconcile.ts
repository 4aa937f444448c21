import type { JsonObject } from "../../shared/json.ts";
import type { Logger } from "../../shared/logger.ts";
import type { DeltaHandler, Device } from "../sdk/types.ts";
import type { HandlerSpec } from "./handler-config.ts";
import { executeAction, type Outcome } from "./handlers.ts";
import { formatPath, setPath } from "./paths.ts";
import { planDelta } from "./plan.ts";

/**
 * The agent's delta handler for the SDK's reconcile loop: plan the delta, run the planned actions one
 * after another (in config order: two handlers may touch related things), and report.
 *
 * - All succeeded: the applied values are returned as `reported` (the SDK reports them with its
 *   `Reconciled=True` condition, closing the delta).
 * - Some failed: what did succeed is reported at once (so a retry does not run it again), and the
 *   failures are returned as `cannot`; the SDK records them in `$status` and retries with backoff when
 *   any failure may be transient.
 * - Desired paths no handler owns are part of the `cannot` message (and not retried): an operator
 *   setting them sees that this host does nothing with them.
 *
 * Each handler's last outcome is also reported at `agent.handlers.<name>` ({status, message,
 * observedVersion}), written only when it changes, so retries of one failure add no shadow changes.
 */
export type HandlerStatus = "Applied" | "Failed" | "Refused";

export function statusOf(o: Outcome): HandlerStatus {
  if (o.ok) return "Applied";
  return o.retry ? "Failed" : "Refused";
}

export function makeDeltaHandler(opts: {
  handlers: readonly HandlerSpec[];
  thing: string;
  device: Pick<Device, "reported" | "report">;
  log: Pick<Logger, "info" | "warn" | "error">;
}): DeltaHandler {
  const lastStatus = new Map<string, string>();
  return async (delta, ctx) => {
    const plan = planDelta(
      opts.handlers,
      withoutConventions(delta),
      { desired: ctx.desired, reported: opts.device.reported },
      opts.thing,
    );
    const outcomes: Outcome[] = [];
    for (const action of plan.actions) {
      const o = await executeAction(action, opts.thing);
      outcomes.push(o);
      // Values may be secrets (a file's contents): logged by size only.
      const entry = {
        handler: o.handler.name,
        desired: formatPath(o.handler.desired),
        ok: o.ok,
        durationMs: o.durationMs,
        valueBytes: JSON.stringify(o.value).length,
        attempt: ctx.attempt,
        version: ctx.version,
        ...(o.error ? { error: o.error } : {}),
      };
      if (o.ok) opts.log.info(entry, "desired state applied");
      else opts.log.warn(entry, "desired state not applied");
    }
    const values: JsonObject = {};
    for (const o of outcomes) if (o.ok) setPath(values, o.handler.reported, o.value);
    const statuses: JsonObject = {};
    for (const o of outcomes) {
      const status = statusOf(o);
      const message = o.error ?? "";
      const key = `${status}\n${message}`;
      if (lastStatus.get(o.handler.name) === key) continue;
      lastStatus.set(o.handler.name, key);
      statuses[o.handler.name] = { status, message, observedVersion: ctx.version };
    }
    const patch: JsonObject =
      Object.keys(statuses).length > 0 ? { ...values, agent: { handlers: statuses } } : values;
    const failures = outcomes.filter((o) => !o.ok);
    if (failures.length === 0 && plan.unhandled.length === 0) return { reported: patch };
    if (Object.keys(patch).length > 0) {
      await opts.device
        .report(patch)
        .catch((err: unknown) => opts.log.error({ err: (err as Error).message }, "report failed"));
    }
    const reasons = failures.map((o) => `${o.handler.name}: ${o.error}`);
    if (plan.unhandled.length > 0) reasons.push(`no handler for desired ${plan.unhandled.join(", ")}`);
    return { cannot: reasons.join("; "), retry: failures.some((o) => o.retry) };
  };
}

/** `$`-prefixed keys (the SDK's `$status`) are conventions, not desired state a handler acts on. */
export function withoutConventions(delta: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(delta).filter(([k]) => !k.startsWith("$")));
}
