import type { Alarm, AlarmEvent, AlarmEventKind } from "../../shared/alarms-lifecycle.ts";
import type { Db } from "../store/database.ts";

/** Events older than this are pruned (the review looks back at most this far). */
export const EVENT_RETENTION_MS = 400 * 86_400_000;

/**
 * Alarms in the node's umbra.db: `alarms` holds each alarm's current record (JSON), `alarm_events`
 * what happened when (the review counts these). Held in memory too: the set of alarms is small
 * (one per rule and thing that ever fired) and every evaluation reads it.
 */
export class AlarmStore {
  private readonly byId = new Map<string, Alarm>();
  /** Incremented on every change of the records held (so derived counts know when to recompute). */
  generation = 0;
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      all: db.prepare("SELECT record FROM alarms"),
      put: db.prepare(
        "INSERT INTO alarms (id, site, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET site = excluded.site, record = excluded.record",
      ),
      event: db.prepare("INSERT INTO alarm_events (id, kind, ts, by) VALUES (?, ?, ?, ?)"),
      since: db.prepare("SELECT id, kind, ts, by FROM alarm_events WHERE ts >= ? AND id LIKE ? ORDER BY seq"),
      prune: db.prepare("DELETE FROM alarm_events WHERE ts < ?"),
    };
    for (const row of this.q.all.all() as { record: string }[]) {
      const a = JSON.parse(row.record) as Alarm;
      this.byId.set(a.id, a);
    }
  }

  get(id: string): Alarm | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<Alarm> {
    return this.byId.values();
  }

  /**
   * Stores the record and its event in one transaction, with the next revision (`keepRev`: a record
   * relayed from the site that owns it keeps that site's revision). Returns what was stored.
   */
  save(alarm: Alarm, event?: AlarmEvent, keepRev = false): Alarm {
    const stored = keepRev ? alarm : { ...alarm, rev: (this.byId.get(alarm.id)?.rev ?? 0) + 1 };
    this.db.transaction(() => {
      this.q.put.run(stored.id, stored.site, JSON.stringify(stored));
      if (event) this.q.event.run(event.id, event.kind, event.ts, event.by ?? null);
    })();
    this.byId.set(stored.id, stored);
    this.generation++;
    return stored;
  }

  /** Events since `ts` of alarms of `system` (every system when undefined). */
  eventsSince(ts: number, system?: string): AlarmEvent[] {
    const like = system === undefined ? "%" : `${system.replace(/[%_\\]/g, "")}/%`;
    return (
      this.q.since.all(ts, like) as { id: string; kind: AlarmEventKind; ts: number; by: string | null }[]
    ).flatMap((r) =>
      system !== undefined && !r.id.startsWith(`${system}/`)
        ? []
        : [{ id: r.id, kind: r.kind, ts: r.ts, ...(r.by === null ? {} : { by: r.by }) }],
    );
  }

  prune(now: number): void {
    this.q.prune.run(now - EVENT_RETENTION_MS);
  }
}
