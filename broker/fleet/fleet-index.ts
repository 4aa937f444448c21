import type { JsonObject } from "../../shared/json.ts";
import type { FleetRecord, FleetShadow } from "../../shared/query/index.ts";
import type { Presence, ShadowView } from "../../shared/shadow-document.ts";

/** One thing in the index: its attributes and the store's views of its shadows (shared, not copied). */
class ThingRecord implements FleetRecord {
  attributes: JsonObject = {};
  attributesVersion = 0;
  readonly shadows: Record<string, FleetShadow> = {};
  constructor(
    readonly thing: string,
    private readonly index: FleetIndex,
  ) {}
  get presence(): Presence | undefined {
    return this.index.presenceOf(this.thing);
  }
  get systems(): readonly string[] {
    return this.index.membership(this);
  }
}

export type IndexListener = (record: FleetRecord | undefined, thing: string) => void;

/**
 * Every thing that has a shadow or attributes, in memory, for fleet queries. Updated by the group
 * commit after each transaction and before the waiting requests are answered (read-your-writes), by
 * attribute writes, and by presence changes. Memory: a record per thing; the shadow views are the
 * objects the store already keeps (a view is replaced, never mutated, on change).
 */
export class FleetIndex {
  private readonly records = new Map<string, ThingRecord>();
  private readonly presence = new Map<string, Presence>();
  private sorted: string[] | null = null;
  private readonly listeners = new Set<IndexListener>();
  /** Systems a record belongs to; set by the system registry. */
  membership: (r: FleetRecord) => readonly string[] = () => [];

  get size(): number {
    return this.records.size;
  }

  get(thing: string): FleetRecord | undefined {
    return this.records.get(thing);
  }

  presenceOf(thing: string): Presence | undefined {
    return this.presence.get(thing);
  }

  /** Thing names in ascending order (cached until a thing is added or removed). */
  things(): readonly string[] {
    this.sorted ??= [...this.records.keys()].sort();
    return this.sorted;
  }

  all(): IterableIterator<FleetRecord> {
    return this.records.values();
  }

  setShadow(thing: string, shadow: string, view: ShadowView | FleetShadow | undefined, notify = true): void {
    const exists = view !== undefined && (!("exists" in view) || view.exists);
    let r = this.records.get(thing);
    if (!exists) {
      if (!r || !(shadow in r.shadows)) return;
      delete r.shadows[shadow];
      this.dropIfEmpty(r);
    } else {
      r ??= this.add(thing);
      r.shadows[shadow] = view;
    }
    if (notify) this.notify(thing);
  }

  setAttributes(thing: string, attributes: JsonObject, version: number, notify = true): void {
    const r = this.records.get(thing) ?? this.add(thing);
    r.attributes = attributes;
    r.attributesVersion = version;
    this.dropIfEmpty(r);
    if (notify) this.notify(thing);
  }

  setPresence(thing: string, p: Presence, notify = true): void {
    this.presence.set(thing, p);
    if (notify && this.records.has(thing)) this.notify(thing);
  }

  /** Listeners run synchronously after each change; a listener must not throw or block. */
  subscribe(listener: IndexListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(thing: string): void {
    const r = this.records.get(thing);
    for (const l of this.listeners) l(r, thing);
  }

  private add(thing: string): ThingRecord {
    const r = new ThingRecord(thing, this);
    this.records.set(thing, r);
    this.sorted = null;
    return r;
  }

  private dropIfEmpty(r: ThingRecord): void {
    if (Object.keys(r.shadows).length === 0 && Object.keys(r.attributes).length === 0) {
      this.records.delete(r.thing);
      this.sorted = null;
    }
  }
}
