import type { Principal } from "../../shared/acl.ts";
import type { AttributeOrigin, AttributeState } from "../../shared/attribute-origins.ts";
import { matchesThing } from "../../shared/glob.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { FleetShadow } from "../../shared/query/index.ts";
import type { Presence, ShadowConflicts, ShadowView } from "../../shared/shadow-document.ts";
import { isReservedShadowName, PRESENCE_SHADOW, presenceFromReported } from "../../shared/site-presence.ts";
import { traceTask } from "../metrics/latency-trace.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import type { Db } from "../store/database.ts";
import { AttributeStore, type AttributeWriteResult, type StoredAttributes } from "./attribute-store.ts";
import { FleetIndex } from "./fleet-index.ts";
import { SystemGrants } from "./system-grants.ts";
import { SystemRegistry } from "./system-registry.ts";
import { FleetViewTable } from "./view-table.ts";

const BACKFILL_BATCH = 256;
/**
 * One backfill step reads shadows for at most this long before yielding: a cold load costs 0.3–1.5
 * ms of CPU, so 256 of them in one step held the event loop (and the node's start-up, whose
 * listeners come up between steps) for up to a second on a loaded machine.
 */
const BACKFILL_SLICE_MS = 20;
/**
 * Views are written behind the shadows at most this often (they only serve the rebuild at start, and a
 * view lost in a crash is re-read from its shadow). Each write of a view cost ~19 µs of main thread at
 * 2,000 devices (docs/benchmarks.md, "Main-thread protocol path"); a shadow updated several times
 * within the interval is written once.
 */
const VIEW_FLUSH_MS = 5000;
/** Views written per transaction: the rest follow in later turns, so a flush never holds the loop long. */
const VIEW_FLUSH_ROWS = 500;

export interface ConflictEntry {
  thing: string;
  shadow: string;
  version: number;
  conflicts: ShadowConflicts;
}

/**
 * The fleet of one node: inventory attributes, the in-memory index over every shadow, systems. Built
 * at start from SQLite; kept current by the store's commit hook (read-your-writes).
 */
export class FleetService {
  readonly index = new FleetIndex();
  readonly attributes: AttributeStore;
  readonly systems: SystemRegistry;
  readonly grants: SystemGrants;
  readonly views: FleetViewTable;
  /** Milliseconds the start-up rebuild took, and how many shadows it read. */
  readonly loaded: { ms: number; shadows: number };
  /** Shadows still being read into the index in the background (0 once it is complete). */
  backfilling = 0;
  private backfillTimer: NodeJS.Immediate | undefined;
  private readonly unsaved = new Map<string, { thing: string; name: string; view: ShadowView }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushSliceTimer: NodeJS.Immediate | undefined;
  /** A flush is under way: its timer, or the slices after the first. */
  private flushing = false;
  private closed = false;

  constructor(db: Db, store: ShadowStore) {
    const started = performance.now();
    this.attributes = new AttributeStore(db);
    this.views = new FleetViewTable(db);
    let shadows = 0;
    for (const { thing, name, view } of this.views.all()) {
      this.applyView(thing, name, view, false);
      shadows++;
    }
    for (const a of this.attributes.all()) this.index.setAttributes(a.thing, a.attributes, a.version, false);
    for (const row of db.prepare("SELECT thing, connected, since, site FROM presence").all() as {
      thing: string;
      connected: number;
      since: number;
      site: string;
    }[]) {
      this.index.setPresence(
        row.thing,
        { connected: row.connected === 1, since: row.since, site: row.site },
        false,
      );
    }
    this.systems = new SystemRegistry(db, this.index);
    this.grants = new SystemGrants(db, this.systems);
    this.loaded = { ms: performance.now() - started, shadows };
    this.backfilling = 1;
    this.scheduleBackfill(store);
    store.commitHooks.push({
      committed: (entries) => {
        for (const e of entries) {
          const view = e.doc.view;
          this.applyView(e.addr.thing, e.addr.shadow, view);
          const pending = this.unsaved.get(e.key);
          if (pending) pending.view = view;
          else this.unsaved.set(e.key, { thing: e.addr.thing, name: e.addr.shadow, view });
        }
        // After close (a batch the group commit finished while the node stopped) nothing is written:
        // the database may be closed, and start-up re-reads the views that are stale.
        if (!this.flushing && !this.closed) {
          this.flushing = true;
          this.flushTimer = setTimeout(() => this.flushSlice(store), VIEW_FLUSH_MS).unref();
        }
      },
    });
  }

  /**
   * A shadow's view into the index; reserved shadows are the node's own: `$umbra-presence` feeds the
   * relayed presence, the others are kept out of queries.
   */
  private applyView(thing: string, name: string, view: ShadowView | FleetShadow, notify = true): void {
    if (!isReservedShadowName(name)) {
      this.index.setShadow(thing, name, view, notify);
      return;
    }
    const exists = !("exists" in view) || view.exists;
    if (name === PRESENCE_SHADOW)
      this.index.setRelayedPresence(thing, exists ? presenceFromReported(view.reported) : undefined, notify);
  }

  /**
   * Reads shadows that lack a view, a few hundred per query, yielding every `BACKFILL_SLICE_MS`
   * (`queue`: the rows of the last query not read yet; `last`: that query was the final one).
   */
  private scheduleBackfill(
    store: ShadowStore,
    queue: { thing: string; name: string }[] = [],
    last = false,
  ): void {
    this.backfillTimer = setImmediate(() => {
      let rows = queue;
      if (rows.length === 0) {
        rows = this.views.stale(BACKFILL_BATCH);
        last = rows.length < BACKFILL_BATCH;
      }
      const { examined, views } = this.views.refresh(store, rows, performance.now() + BACKFILL_SLICE_MS);
      for (const { thing, name, view } of views) this.applyView(thing, name, view);
      this.backfilling = last && rows.length === 0 ? 0 : Math.max(1, this.backfilling - examined);
      if (this.backfilling > 0) this.scheduleBackfill(store, rows, last);
      else this.backfillTimer = undefined;
    });
  }

  /** Why results may be incomplete (the background backfill), or undefined. */
  incomplete(): string | undefined {
    return this.backfilling > 0
      ? `the fleet index is still loading (${this.backfilling} shadows to go)`
      : undefined;
  }

  /** Writes every view changed since the last flush now (close). */
  flushViews(): void {
    clearTimeout(this.flushTimer);
    if (this.flushSliceTimer) clearImmediate(this.flushSliceTimer);
    this.flushTimer = undefined;
    this.flushSliceTimer = undefined;
    this.flushing = false;
    this.writeViews(Number.POSITIVE_INFINITY);
  }

  /**
   * One transaction of at most VIEW_FLUSH_ROWS views, between the commit worker's batches (never
   * waiting for its write lock on the main thread); the rest in later turns.
   */
  private flushSlice(store: ShadowStore): void {
    this.flushTimer = undefined;
    store.betweenCommits(() => {
      if (!this.flushing) return; // flushed whole meanwhile (close)
      try {
        this.writeViews(VIEW_FLUSH_ROWS);
      } finally {
        // After a failed write too: the next commit schedules a flush again.
        if (this.unsaved.size === 0) this.flushing = false;
        else this.flushSliceTimer = setImmediate(() => this.flushSlice(store));
      }
    });
  }

  /** Writes up to `max` of the views changed since they were last written (coalesced: once each). */
  private writeViews(max: number): void {
    if (this.unsaved.size === 0) return;
    const started = performance.now();
    const batch: { thing: string; name: string; view: ShadowView }[] = [];
    for (const [key, pending] of this.unsaved) {
      if (batch.length >= max) break;
      batch.push(pending);
      this.unsaved.delete(key);
    }
    this.views.flush(batch);
    traceTask("views", started);
  }

  close(): void {
    if (this.backfillTimer) clearImmediate(this.backfillTimer);
    this.flushViews();
    this.closed = true;
  }

  setPresence(thing: string, p: Presence): void {
    this.index.setPresence(thing, p);
  }

  /**
   * Null when `p` may write the attributes of `thing`, else the reason (403). An operator bound to
   * systems (per-system grants) writes attributes only for their members, as it does desired.
   */
  attributeDenial(p: Principal, thing: string): string | null {
    switch (p.role) {
      case "anonymous":
        return null;
      case "operator":
      case "device":
      case "bridge": {
        if (!matchesThing(p.things, thing)) return `'${p.name}' is not granted thing '${thing}'`;
        if (p.role !== "operator" || this.grants.check({ thing, shadow: "" }, p) === null) return null;
        const bound = this.grants.systemsOf(p.name);
        return `operator '${p.name}' may write attributes only for members of system${bound.length > 1 ? "s" : ""} ${bound.join(", ")}`;
      }
      default:
        return `role ${p.role} may not write attributes`;
    }
  }

  mayWriteAttributes(p: Principal, thing: string): boolean {
    return this.attributeDenial(p, thing) === null;
  }

  /** Called after each local attribute change (the relay mirrors it into the reserved shadow). */
  onAttributesWritten: (thing: string, state: AttributeState) => void = () => {};

  /**
   * Validates, stores (its own transaction) and indexes before returning: the next query sees it.
   * `origin`: `device` for what a device, bridge or agent fills (never over an operator's keys).
   */
  writeAttributes(
    thing: string,
    body: JsonValue,
    mode: "put" | "patch",
    version?: number,
    origin: AttributeOrigin = "operator",
  ): AttributeWriteResult {
    const before = this.attributes.get(thing)?.version;
    const stored = this.attributes.write(thing, body, mode, version, origin);
    if (stored.version === before) return stored;
    this.index.setAttributes(thing, stored.attributes, stored.version);
    this.onAttributesWritten(thing, stored);
    return stored;
  }

  /** Stores and indexes attributes merged from a peer, without telling the relay. */
  storeAttributes(thing: string, state: AttributeState): StoredAttributes {
    const stored = this.attributes.replace(thing, state);
    this.index.setAttributes(thing, stored.attributes, stored.version);
    return stored;
  }

  /** Every shadow with open conflicts, by thing then shadow. */
  conflicts(): ConflictEntry[] {
    const out: ConflictEntry[] = [];
    for (const thing of this.index.things()) {
      const r = this.index.get(thing);
      if (!r) continue;
      for (const [shadow, s] of Object.entries(r.shadows)) {
        if (s.conflicts && Object.keys(s.conflicts).length > 0) {
          out.push({ thing, shadow, version: s.version, conflicts: s.conflicts });
        }
      }
    }
    return out;
  }

  attributesOf(thing: string): JsonObject | undefined {
    return this.attributes.get(thing)?.attributes;
  }
}
