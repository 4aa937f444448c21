import { type Alarm, isOpen, isShelved } from "../../shared/alarms-lifecycle.ts";
import { SEVERITIES, type Severity } from "../../shared/alarms-rules.ts";

/** What a system roll-up or a fleet answer shows of alarms. */
export interface AlarmCounts {
  open: number;
  unacknowledged: number;
  shelved: number;
  bySeverity: Record<Severity, number>;
}

/**
 * Counts the open alarms of a system: those of its own rules and those of things below it (`things`,
 * the system's members through subsystems), each counted once.
 */
export function countAlarms(
  alarms: Iterable<Alarm>,
  system: string,
  things: ReadonlySet<string>,
  now: number,
): AlarmCounts {
  const counts: AlarmCounts = {
    open: 0,
    unacknowledged: 0,
    shelved: 0,
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
  };
  for (const a of alarms) {
    if (!isOpen(a) || (a.system !== system && !things.has(a.thing))) continue;
    counts.open++;
    counts.bySeverity[a.severity]++;
    if (a.state === "raised") counts.unacknowledged++;
    if (isShelved(a, now)) counts.shelved++;
  }
  return counts;
}

/** Open alarms per thing (the fleet query's `alarms.*` fields), from every alarm the node holds. */
export function countAlarmsByThing(alarms: Iterable<Alarm>, now: number): Map<string, AlarmCounts> {
  const out = new Map<string, AlarmCounts>();
  for (const a of alarms) {
    if (!isOpen(a)) continue;
    let c = out.get(a.thing);
    if (!c) {
      c = {
        open: 0,
        unacknowledged: 0,
        shelved: 0,
        bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
      };
      out.set(a.thing, c);
    }
    c.open++;
    c.bySeverity[a.severity]++;
    if (a.state === "raised") c.unacknowledged++;
    if (isShelved(a, now)) c.shelved++;
  }
  return out;
}
