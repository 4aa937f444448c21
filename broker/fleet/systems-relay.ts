import { mergeAttributes } from "../../shared/fleet-attributes.ts";
import type { SystemSpec } from "../../shared/fleet-systems.ts";
import { type JsonObject, jsonEqual } from "../../shared/json.ts";
import { replacementPatch } from "../../shared/site-attributes.ts";
import { NODE_WRITER } from "../../shared/site-presence.ts";
import {
  entryOf,
  type ResolvedSystem,
  resolveSystem,
  SYSTEMS_SHADOW,
  stampEdit,
} from "../../shared/site-systems.ts";
import type { NodeContext } from "../extension.ts";
import type { ShadowChange } from "../shadow/shadow-service.ts";
import type { SystemRegistry } from "./system-registry.ts";

/** Merged changes are applied this long after the first of a batch arrives. */
const APPLY_DELAY_MS = 50;
/** A merged system is copied onto this node's other carriers after this long without more changes… */
const SPREAD_QUIET_MS = 5000;
/** …or at the latest this long after the first. */
const SPREAD_MAX_MS = 120_000;

const same = (a: SystemSpec | undefined, b: SystemSpec | undefined): boolean =>
  jsonEqual(
    a
      ? { t: [...a.things].sort(), s: [...a.systems].sort(), d: a.description ?? null, q: a.query ?? null }
      : null,
    b
      ? { t: [...b.things].sort(), s: [...b.systems].sort(), d: b.description ?? null, q: b.query ?? null }
      : null,
  );

/**
 * Systems across sites (shared/site-systems.ts, docs/fleet.md): when the node relays, each system is
 * written into the `$umbra-systems` shadow of every static thing at or below it (the relay carries
 * those within each site's grant), and a change merged from a peer rebuilds the systems it names from
 * their carriers here. Writes are diffs, so a node copying a merged system onward writes nothing once
 * its carriers agree.
 */
export class SystemsRelay {
  constructor(
    private readonly ctx: NodeContext,
    private readonly systems: SystemRegistry,
    private readonly relays: () => boolean,
  ) {}

  /**
   * The reported section of every `$umbra-systems` shadow here, kept in memory (read at start, then
   * from every change and, ahead of its commit, from each write made here): a system's carriers are
   * read without loading their documents.
   */
  private readonly carried = new Map<string, JsonObject>();

  private reportedOf(thing: string): JsonObject {
    return this.carried.get(thing) ?? {};
  }

  /** What the carriers here hold for a system (those listed plus the current static things below it). */
  private held(name: string, extra: Iterable<string> = []): ResolvedSystem | undefined {
    const things = new Set([...extra, ...this.carriers(name)]);
    return resolveSystem(
      name,
      [...things].map((t) => [t, this.reportedOf(t)] as [string, JsonObject]),
    );
  }

  private carriers(name: string): Set<string> {
    try {
      return this.systems.staticThingsBelow(name);
    } catch {
      return new Set();
    }
  }

  private current(name: string): SystemSpec | undefined {
    try {
      return this.systems.get(name);
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the entries of `name` (and, since their carriers changed with it, of its ancestors) into
   * the carriers: new ones get the entry, things no longer below it lose it. `before`: the things that
   * carried it before a local edit.
   */
  sync(name: string, before: Iterable<string> = []): void {
    if (!this.relays()) return;
    const spec = this.current(name);
    const old = [...before];
    const held = this.held(name, old);
    const now = { at: Date.now(), site: this.ctx.config.site };
    const writes = new Map<string, JsonObject>();
    const add = (thing: string, key: string, entry: JsonObject | null) => {
      const from = this.reportedOf(thing);
      const patch = replacementPatch(
        key in from ? { [key]: from[key] ?? null } : {},
        entry ? { [key]: entry } : {},
      );
      if (Object.keys(patch).length > 0) writes.set(thing, { ...writes.get(thing), ...patch });
    };
    const carriers = spec ? this.carriers(name) : new Set<string>();
    if (spec) {
      const r = same(spec, held?.spec) && held ? held : stampEdit(spec, held, now);
      for (const t of carriers) add(t, name, entryOf(r, spec.things.includes(t)));
    }
    for (const t of old) if (!carriers.has(t)) add(t, name, null);
    for (const a of spec ? this.systems.ancestorsOf(name) : []) {
      const ancestor = this.held(a, old);
      if (ancestor) {
        const keep = this.carriers(a);
        for (const t of keep) add(t, a, entryOf(ancestor, ancestor.spec.things.includes(t)));
        for (const t of old) if (!keep.has(t)) add(t, a, null);
      }
    }
    for (const [thing, patch] of writes) this.write(thing, patch);
  }

  /** Carrier shadow updates this node made (benches, tests). */
  writes = 0;

  private write(thing: string, reported: JsonObject): void {
    this.writes++;
    this.carried.set(thing, mergeAttributes(this.reportedOf(thing), reported));
    this.ctx.service.update({ thing, shadow: SYSTEMS_SHADOW }, { state: { reported } }, NODE_WRITER).then(
      (r) => {
        if (!r.ok) this.ctx.log.warn({ thing, reason: r.error.message }, "systems shadow refused");
      },
      (err) => this.ctx.log.error({ err, thing }, "systems shadow write failed"),
    );
  }

  /** A local put or delete: the carriers before it lose what no longer applies. */
  readonly onLocalChange = (name: string, before: SystemSpec | undefined): void => {
    const old = new Set(before?.things ?? []);
    for (const c of before?.systems ?? []) for (const t of this.carriers(c)) old.add(t);
    this.sync(name, old);
  };

  /** Systems named by merged changes not yet applied, with the things whose entry changed. */
  private pending = new Map<string, Set<string>>();
  private pendingTimer: NodeJS.Timeout | undefined;

  /**
   * A merged change from a peer: the systems it touches are rebuilt from their carriers here, once per
   * batch (a frame brings the entries of many carriers of the same system: each is read once).
   */
  readonly onChange = (c: ShadowChange): void => {
    if (c.addr.shadow !== SYSTEMS_SHADOW) return;
    const after = c.current.exists ? c.current.reported : {};
    const before = this.reportedOf(c.addr.thing);
    this.carried.set(c.addr.thing, after);
    if (c.origin === undefined) return;
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (jsonEqual(before[name] ?? null, after[name] ?? null)) continue;
      const things = this.pending.get(name) ?? new Set<string>();
      this.pending.set(name, things);
      things.add(c.addr.thing);
    }
    if (this.pending.size > 0)
      this.pendingTimer ??= setTimeout(() => this.applyPending(), APPLY_DELAY_MS).unref();
  };

  private applyPending(): void {
    this.pendingTimer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    for (const [name, things] of batch) {
      const was = this.current(name);
      const oldCarriers = this.carriers(name);
      const held = this.held(name, things);
      if (same(was, held?.spec)) continue;
      this.systems.applyReplicated(name, held?.spec);
      const cycles = this.systems.cycles.filter((p) => p.includes(name));
      if (cycles.length > 0)
        this.ctx.log.warn(
          { system: name, cycles: cycles.map((p) => p.join(" → ")) },
          "systems: a merge closed a cycle; the closing edge is left out until one side removes it",
        );
      this.spreadLater(name, oldCarriers);
    }
  }

  /** Systems whose merged state is still to be copied onto the carriers here, with their old carriers. */
  private readonly spreads = new Map<string, { before: Set<string>; first: number; timer: NodeJS.Timeout }>();

  /**
   * Copies a merged system onto the carriers here once its changes stop arriving (a quiet
   * SPREAD_QUIET_MS, at most SPREAD_MAX_MS after the first): while a peer is still sending its
   * carriers, copying onto those not yet arrived would write the same entries back to it.
   */
  private spreadLater(name: string, before: Set<string>): void {
    const now = Date.now();
    const s = this.spreads.get(name);
    if (s) clearTimeout(s.timer);
    const first = s?.first ?? now;
    const all = s ? new Set([...s.before, ...before]) : before;
    const wait = Math.max(0, Math.min(SPREAD_QUIET_MS, first + SPREAD_MAX_MS - now));
    const timer = setTimeout(() => {
      this.spreads.delete(name);
      this.sync(name, all);
    }, wait).unref();
    this.spreads.set(name, { before: all, first, timer });
  }

  close(): void {
    clearTimeout(this.pendingTimer);
    for (const s of this.spreads.values()) clearTimeout(s.timer);
  }

  /**
   * At start: the carriers are the record of what was merged, so a system they hold differently from
   * the table (a merge applied to the shadows but not yet here when the node stopped) is taken from
   * them; then every system is written into its carriers (those that already agree cost a comparison;
   * systems defined before the node relayed get their entries now).
   */
  reconcile(): void {
    const rows = this.ctx.db
      .prepare("SELECT thing FROM shadows WHERE name = ? AND deleted = 0")
      .all(SYSTEMS_SHADOW) as { thing: string }[];
    for (const { thing } of rows) {
      const v = this.ctx.store.readView({ thing, shadow: SYSTEMS_SHADOW });
      if (v.exists) this.carried.set(thing, v.reported);
    }
    if (!this.relays()) return;
    const byName = new Map<string, Set<string>>();
    for (const { thing } of rows)
      for (const name of Object.keys(this.reportedOf(thing))) {
        const set = byName.get(name) ?? new Set<string>();
        byName.set(name, set);
        set.add(thing);
      }
    for (const [name, things] of byName) {
      const held = this.held(name, things);
      if (held && !same(this.current(name), held.spec)) this.systems.applyReplicated(name, held.spec);
    }
    for (const s of this.systems.list()) this.sync(s.name);
  }
}
