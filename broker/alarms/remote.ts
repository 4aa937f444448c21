import type { Alarm } from "../../shared/alarms-lifecycle.ts";
import { RULE_KINDS, SEVERITIES } from "../../shared/alarms-rules.ts";
import type { Logger } from "../../shared/logger.ts";
import type { AlarmStore } from "./alarm-store.ts";

/** The alarm feed of every site (notify.ts `alarmTopic`): this node's own and relayed ones. */
export const REMOTE_ALARMS = "umbra/alarms/#";

const TOPIC = /^umbra\/alarms\/([A-Za-z0-9:_-]+)\/([A-Za-z0-9:_-]+)\/([A-Za-z0-9:_-]+)\/([A-Za-z0-9:_-]+)$/;

function isAlarm(v: unknown, site: string, id: string): v is Alarm {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    a.site === site &&
    a.id === id &&
    typeof a.thing === "string" &&
    typeof a.system === "string" &&
    typeof a.rule === "string" &&
    (RULE_KINDS as readonly unknown[]).includes(a.kind) &&
    (SEVERITIES as readonly unknown[]).includes(a.severity) &&
    ["raised", "acknowledged", "cleared"].includes(a.state as string) &&
    typeof a.raisedAt === "number" &&
    typeof a.fireCount === "number" &&
    Array.isArray(a.recentRaises)
  );
}

/**
 * An alarm of another site (relayed up from a child): kept read-only beside this node's own, with the
 * raises and clears it shows recorded as events (so the parent's review counts them). A record whose
 * revision is not newer than the one held (a resend after a reconnect) changes nothing. Returns
 * whether it was taken.
 */
export function acceptRemoteAlarm(
  store: AlarmStore,
  ownSite: string,
  topic: string,
  payload: Buffer,
  log: Logger,
): boolean {
  const m = TOPIC.exec(topic);
  if (!m || m[1] === ownSite || payload.length === 0) return false;
  const id = `${m[2]}/${m[3]}/${m[4]}`;
  let v: unknown;
  try {
    v = JSON.parse(payload.toString("utf8"));
  } catch {
    v = undefined;
  }
  if (!isAlarm(v, m[1] as string, id)) {
    log.warn({ topic }, "alarms: a relayed alarm that is not an alarm record was ignored");
    return false;
  }
  const held = store.get(id);
  if (held && held.site !== v.site) {
    log.warn(
      { id, held: held.site, from: v.site },
      "alarms: two sites report the same alarm id; the first one is kept",
    );
    return false;
  }
  if (held && (held.rev ?? 0) >= (v.rev ?? 0)) return false;
  const raised = !held || held.raisedAt !== v.raisedAt;
  const cleared = v.state === "cleared" && (raised || held?.state !== "cleared");
  const acked = v.ackedBy !== undefined && held?.ackedBy === undefined;
  store.save(v, raised ? { id, kind: "raised", ts: v.raisedAt } : undefined, true);
  if (acked)
    store.save(v, { id, kind: "acknowledged", ts: v.ackedAt ?? Date.now(), by: v.ackedBy as string }, true);
  if (cleared) store.save(v, { id, kind: "cleared", ts: v.clearedAt ?? Date.now() }, true);
  return true;
}
