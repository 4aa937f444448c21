import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { FleetRecord, FleetShadow, ThingAlarms } from "../../shared/query/index.ts";
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
  get alarms(): ThingAlarms | undefined {
    return this.index.alarmsOf(this.thing);
  }
}

/** Keys under which an attribute value is found by equality (see shared/query/evaluate.ts). */
function valueKeys(v: JsonValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => (Array.isArray(x) ? [] : valueKeys(x)));
  if (typeof v === "object") return [];
  return [`${typeof v}:${String(v)}`];
}

function attributeAt(attributes: JsonObject, path: readonly string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = attributes;
  for (const k of path)
    cur = cur !== null && typeof cur === "object" && !Array.isArray(cur) ? cur[k] : undefined;
  return cur;
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
  private readonly relayedPresence = new Map<string, Presence>();
  private sorted: string[] | null = null;
  private readonly listeners = new Set<IndexListener>();
  private readonly changed = new Set<string>();
  /** Equality indexes of attribute paths, built on first use and kept up to date after. */
  private readonly byAttribute = new Map<string, Map<string, Set<string>>>();
  /** Open alarms of a thing; set by the alarms capability (`alarms.*` query fields). */
  alarmsOf: (thing: string) => ThingAlarms | undefined = () => undefined;
  /** Systems a record belongs to; set by the system registry. */
  membership: (r: FleetRecord) => readonly string[] = () => [];

  get size(): number {
    return this.records.size;
  }

  get(thing: string): FleetRecord | undefined {
    return this.records.get(thing);
  }

  /** The presence shown for a thing: this node's own, or the relayed one (see shared/site-presence.ts). */
  presenceOf(thing: string): Presence | undefined {
    return this.resolvePresence(this.presence.get(thing), this.relayedPresence.get(thing));
  }

  /** Combines the local and the relayed presence; set by the fleet service (it knows the relay links). */
  resolvePresence: (local: Presence | undefined, relayed: Presence | undefined) => Presence | undefined = (
    local,
  ) => local;

  /** The presence last read from the thing's `$umbra-presence` shadow (any site, this one included). */
  relayedPresenceOf(thing: string): Presence | undefined {
    return this.relayedPresence.get(thing);
  }

  /** Things with a relayed presence, by the site it names. */
  *relayedPresences(): IterableIterator<[string, Presence]> {
    yield* this.relayedPresence;
  }

  /** Presence relayed from another site (its `$umbra-presence` shadow); undefined forgets it. */
  setRelayedPresence(thing: string, p: Presence | undefined, notify = true): void {
    if (p) this.relayedPresence.set(thing, p);
    else this.relayedPresence.delete(thing);
    if (notify && this.records.has(thing)) this.notify(thing);
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

  /**
   * Things whose attribute at `path` equals one of `keys` (`typeof:value`, e.g. "string:pdu",
   * "number:5"); the index of that path is built on first use. The set returned is read-only.
   */
  attributeLookup(path: readonly string[], keys: readonly string[]): Set<string> {
    const id = path.join(".");
    let idx = this.byAttribute.get(id);
    if (!idx) {
      idx = new Map();
      for (const r of this.records.values())
        for (const k of valueKeys(attributeAt(r.attributes, path))) addTo(idx, k, r.thing);
      this.byAttribute.set(id, idx);
    }
    const sets = keys.flatMap((k) => idx.get(k) ?? []).filter((set) => set.size > 0);
    if (sets.length === 1) return sets[0] as Set<string>; // the index's own set: callers only read it
    const out = new Set<string>();
    for (const set of sets) for (const t of set) out.add(t);
    return out;
  }

  setAttributes(thing: string, attributes: JsonObject, version: number, notify = true): void {
    const r = this.records.get(thing) ?? this.add(thing);
    for (const [id, idx] of this.byAttribute) {
      const path = id.split(".");
      for (const k of valueKeys(attributeAt(r.attributes, path))) idx.get(k)?.delete(thing);
      for (const k of valueKeys(attributeAt(attributes, path))) addTo(idx, k, thing);
    }
    r.attributes = attributes;
    r.attributesVersion = version;
    this.dropIfEmpty(r);
    if (notify) this.notify(thing);
  }

  setPresence(thing: string, p: Presence, notify = true): void {
    this.presence.set(thing, p);
    if (notify && this.records.has(thing)) this.notify(thing);
  }

  /** Listeners run on the turn after a change (see notify); a listener must not throw or block. */
  subscribe(listener: IndexListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells the listeners (live streams) about a changed thing on the next turn, not on the commit path:
   * the waiting requests are answered first, and a thing changed several times in a batch is told once.
   */
  notify(thing: string): void {
    if (this.listeners.size === 0) return;
    if (this.changed.size === 0) setImmediate(() => this.deliver());
    this.changed.add(thing);
  }

  private deliver(): void {
    const things = [...this.changed];
    this.changed.clear();
    for (const thing of things) {
      const r = this.records.get(thing);
      for (const l of this.listeners) l(r, thing);
    }
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

function addTo(idx: Map<string, Set<string>>, key: string, thing: string): void {
  const set = idx.get(key) ?? new Set<string>();
  idx.set(key, set);
  set.add(thing);
}
