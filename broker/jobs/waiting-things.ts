import type { ThingRow } from "./job-store.ts";

/** What the index needs of a job: its id-independent map of waiting things. */
export interface Waiter {
  readonly waiting: Map<string, ThingRow>;
}

/**
 * Which jobs wait for which thing (a thing may be waited for by several jobs at once): the runner looks
 * up a shadow change here instead of scanning every job.
 */
export class WaitingThings<J extends Waiter> {
  private readonly byThing = new Map<string, Set<J>>();

  watch(job: J, r: ThingRow): void {
    job.waiting.set(r.thing, r);
    const set = this.byThing.get(r.thing) ?? new Set<J>();
    this.byThing.set(r.thing, set);
    set.add(job);
  }

  unwatch(job: J, r: ThingRow): void {
    if (job.waiting.get(r.thing) !== r) return;
    job.waiting.delete(r.thing);
    const set = this.byThing.get(r.thing);
    set?.delete(job);
    if (set?.size === 0) this.byThing.delete(r.thing);
  }

  /** The jobs waiting for `thing`, with its row in each (a copy: callers may unwatch while iterating). */
  of(thing: string): [J, ThingRow][] {
    const out: [J, ThingRow][] = [];
    for (const job of this.byThing.get(thing) ?? []) {
      const r = job.waiting.get(thing);
      if (r) out.push([job, r]);
    }
    return out;
  }
}
