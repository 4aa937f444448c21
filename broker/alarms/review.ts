import { type Alarm, isOpen } from "../../shared/alarms-lifecycle.ts";
import type { Review, ReviewJob } from "../../shared/alarms-review.ts";
import { oldestStamp } from "../../shared/fleet-systems.ts";
import { deltaOf } from "../../shared/query/index.ts";
import type { AlarmStore } from "./alarm-store.ts";
import type { FleetPort } from "./fleet-port.ts";

export type { Review, ReviewJob } from "../../shared/alarms-review.ts";

/** Jobs that ran on things of a system since a time; null when no jobs capability is there. */
export type JobsProvider = (system: string, things: ReadonlySet<string>, since: number) => ReviewJob[] | null;

const TOP = 10;

/**
 * The review of a system for a period (docs/alarms.md): what people read to answer "is this always
 * broken or did that just happen?". Alarms of the system's rules and alarms of things below it.
 */
export function reviewOf(
  system: string,
  since: number,
  now: number,
  store: AlarmStore,
  fleet: FleetPort,
  jobs?: JobsProvider,
): Review {
  const things = fleet.thingsOf(system);
  const mine = (a: Alarm) => a.system === system || things.has(a.thing);
  const alarms = [...store.all()].filter(mine);
  const ids = new Set(alarms.map((a) => a.id));
  const raises = new Map<string, number>();
  const acked = new Set<string>();
  for (const e of store.eventsSince(since)) {
    if (!ids.has(e.id)) continue;
    if (e.kind === "raised") raises.set(e.id, (raises.get(e.id) ?? 0) + 1);
    if (e.kind === "acknowledged") acked.add(e.id);
  }
  const byId = new Map(alarms.map((a) => [a.id, a]));
  const raisedAlarms = [...raises.keys()].map((id) => byId.get(id) as Alarm);
  const nowSec = Math.floor(now / 1000);
  const pending: { thing: string; pendingSeconds: number }[] = [];
  for (const thing of things) {
    const r = fleet.record(thing);
    if (!r) continue;
    let oldest: number | undefined;
    for (const s of Object.values(r.shadows)) {
      const d = deltaOf(s);
      if (Object.keys(d).length === 0) continue;
      const t = oldestStamp(d, s.meta.desired) ?? nowSec;
      if (oldest === undefined || t < oldest) oldest = t;
    }
    if (oldest !== undefined) pending.push({ thing, pendingSeconds: nowSec - oldest });
  }
  return {
    system,
    since,
    until: now,
    raised: { raises: [...raises.values()].reduce((a, b) => a + b, 0), alarms: raises.size },
    stillOpen: alarms.filter(isOpen).sort((a, b) => a.raisedAt - b.raisedAt),
    neverAcknowledged: raisedAlarms.filter((a) => !acked.has(a.id) && a.ackedBy === undefined),
    mostFlapping: [...raises]
      .filter(([, n]) => n > 1)
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([id, n]) => {
        const a = byId.get(id) as Alarm;
        return { id, thing: a.thing, rule: a.rule, raises: n };
      }),
    longestNotConverged: pending.sort((a, b) => b.pendingSeconds - a.pendingSeconds).slice(0, TOP),
    jobs: jobs ? jobs(system, things, since) : null,
  };
}
