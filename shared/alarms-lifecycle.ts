import type { RuleKind, Severity } from "./alarms-rules.ts";
import type { JsonValue } from "./json.ts";

/**
 * The alarm lifecycle (docs/alarms.md), pure: raised → acknowledged → cleared; a cleared alarm that
 * fires again is raised again on the same record (its fire count is the flapping history); shelving
 * silences notifications until a time. Every transition returns a new record and the event to log,
 * or an error code for a request that does not apply.
 */

export type AlarmState = "raised" | "acknowledged" | "cleared";

export interface Alarm {
  /** `system/rule/thing`. */
  readonly id: string;
  readonly system: string;
  readonly rule: string;
  readonly thing: string;
  readonly kind: RuleKind;
  readonly severity: Severity;
  /** The site whose node evaluated the rule. */
  readonly site: string;
  readonly state: AlarmState;
  readonly summary: string;
  readonly value?: JsonValue;
  /** Epoch ms: first raise ever, last time the condition was seen holding, the current raise, its clear. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly raisedAt: number;
  readonly clearedAt?: number;
  readonly fireCount: number;
  /** Raise times within the flapping window (bounded), newest last. */
  readonly recentRaises: readonly number[];
  readonly ackedBy?: string;
  readonly ackedAt?: number;
  readonly shelvedUntil?: number;
  readonly shelvedBy?: string;
  /** Revision, raised by the owning node's store on every write: a parent keeps the newest it saw. */
  readonly rev?: number;
}

export type AlarmEventKind = "raised" | "cleared" | "acknowledged" | "shelved" | "unshelved";

export interface AlarmEvent {
  readonly id: string;
  readonly kind: AlarmEventKind;
  readonly ts: number;
  readonly by?: string;
}

export const FLAP_WINDOW_MS = 3_600_000;
export const FLAP_RAISES = 5;

export const isOpen = (a: Alarm) => a.state !== "cleared";
export const isShelved = (a: Alarm, now: number) => a.shelvedUntil !== undefined && a.shelvedUntil > now;

export interface Firing {
  id: string;
  system: string;
  rule: string;
  thing: string;
  kind: RuleKind;
  severity: Severity;
  site: string;
  summary: string;
  value?: JsonValue;
}

export type Transition = { alarm: Alarm; event?: AlarmEvent };

/** The condition holds (past its `for`): raise, raise again, or just note that it is still seen. */
export function fire(current: Alarm | undefined, f: Firing, now: number): Transition {
  const base = { ...f, ...(f.value === undefined ? {} : { value: f.value }) };
  if (current && isOpen(current)) {
    return { alarm: { ...current, ...base, state: current.state, lastSeen: now } };
  }
  const recentRaises = [...(current?.recentRaises ?? []).filter((t) => t > now - FLAP_WINDOW_MS), now].slice(
    -2 * FLAP_RAISES,
  );
  const alarm: Alarm = {
    ...base,
    state: "raised",
    firstSeen: current?.firstSeen ?? now,
    lastSeen: now,
    raisedAt: now,
    fireCount: (current?.fireCount ?? 0) + 1,
    recentRaises,
    ...(current?.shelvedUntil !== undefined && current.shelvedUntil > now
      ? { shelvedUntil: current.shelvedUntil, ...(current.shelvedBy ? { shelvedBy: current.shelvedBy } : {}) }
      : {}),
  };
  return { alarm, event: { id: f.id, kind: "raised", ts: now } };
}

/** The condition stopped holding, or someone cleared it by hand (`by`). */
export function clear(current: Alarm, now: number, by?: string): Transition {
  if (!isOpen(current)) return { alarm: current };
  return {
    alarm: { ...current, state: "cleared", clearedAt: now },
    event: { id: current.id, kind: "cleared", ts: now, ...(by ? { by } : {}) },
  };
}

export class AlarmTransitionError extends Error {
  constructor(
    readonly code: "ALARM_ALREADY_ACKNOWLEDGED" | "ALARM_BAD_SHELVE",
    message: string,
  ) {
    super(message);
  }
}

/** Acknowledges an open or a cleared alarm (a cleared one stays cleared; who acknowledged is kept). */
export function acknowledge(current: Alarm, by: string, now: number): Transition {
  if (current.ackedBy !== undefined)
    throw new AlarmTransitionError(
      "ALARM_ALREADY_ACKNOWLEDGED",
      `alarm ${current.id} was acknowledged by ${current.ackedBy}`,
    );
  return {
    alarm: {
      ...current,
      state: current.state === "raised" ? "acknowledged" : current.state,
      ackedBy: by,
      ackedAt: now,
    },
    event: { id: current.id, kind: "acknowledged", ts: now, by },
  };
}

/** Shelves until `until` (epoch ms); `until <= now` unshelves. */
export function shelve(current: Alarm, until: number, by: string, now: number): Transition {
  if (!Number.isFinite(until)) throw new AlarmTransitionError("ALARM_BAD_SHELVE", "shelve needs a time");
  if (until <= now) {
    const { shelvedUntil: _u, shelvedBy: _b, ...rest } = current;
    return { alarm: rest, event: { id: current.id, kind: "unshelved", ts: now, by } };
  }
  return {
    alarm: { ...current, shelvedUntil: until, shelvedBy: by },
    event: { id: current.id, kind: "shelved", ts: now, by },
  };
}
