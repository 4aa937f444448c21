import {
  addToStats,
  emptyStats,
  findCycle,
  parseSystemSpec,
  type RollupStats,
  SystemError,
  type SystemSpec,
  sumInto,
  type ThingHealth,
  thingHealth,
} from "../../shared/fleet-systems.ts";
import type { JsonValue } from "../../shared/json.ts";
import { compileQuery, type FleetRecord, type Predicate, parseQuery } from "../../shared/query/index.ts";
import { cutCycles } from "../../shared/site-systems.ts";
import type { Db } from "../store/database.ts";
import type { FleetIndex } from "./fleet-index.ts";

export interface StoredSystem extends SystemSpec {
  version: number;
  updatedAt: number;
}

export interface Rollup extends RollupStats {
  name: string;
  /** Direct subsystems: their roll-ups down to the requested depth, then just their names. */
  systems: (Rollup | { name: string })[];
}

/**
 * Systems in SQLite (table `systems`) and in memory. Membership is top-down only (a system lists its
 * members); the reverse map and each system's ancestors are derived and cached until a system changes.
 */
export class SystemRegistry {
  private readonly specs = new Map<string, StoredSystem>();
  private readonly dynamic = new Map<string, Predicate>();
  private directOf = new Map<string, Set<string>>();
  private ancestors = new Map<string, readonly string[]>();
  /** Subsystem edges followed (known systems; edges a merge made cyclic left out, shared/site-systems.ts). */
  private children = new Map<string, readonly string[]>();
  /** Cycles that merges of concurrent edits closed (each the path its left-out edge would close). */
  cycles: readonly string[][] = [];
  /** Member sets of systems with only static members below them; cleared when any system changes. */
  private staticMembers = new Map<string, Set<string>>();
  private readonly q;
  /** More fields for each level of a roll-up, set by another capability (alarms: `{alarms: counts}`). */
  rollupExtra?: (system: string) => Record<string, unknown>;
  /** After a local put or delete (not a replicated one): systems across sites follow. */
  onLocalChange?: (name: string, before: StoredSystem | undefined) => void;

  constructor(
    db: Db,
    private readonly index: FleetIndex,
  ) {
    this.q = {
      all: db.prepare("SELECT spec, version, updated_at FROM systems"),
      put: db.prepare(
        `INSERT INTO systems (name, spec, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, version = excluded.version, updated_at = excluded.updated_at`,
      ),
      drop: db.prepare("DELETE FROM systems WHERE name = ?"),
    };
    for (const row of this.q.all.all() as { spec: string; version: number; updated_at: number }[]) {
      const spec = JSON.parse(row.spec) as SystemSpec;
      this.remember({ ...spec, version: row.version, updatedAt: row.updated_at });
    }
    this.rebuild();
    index.membership = (r) => this.membershipOf(r);
  }

  list(): StoredSystem[] {
    return [...this.specs.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  get(name: string): StoredSystem {
    const s = this.specs.get(name);
    if (!s) throw new SystemError(404, `No system named '${name}'`);
    return s;
  }

  /** Creates or replaces a system; refuses unknown subsystems and cycles. */
  put(name: string, body: JsonValue, expectedVersion?: number): StoredSystem {
    const spec = parseSystemSpec(name, body);
    const current = this.specs.get(name);
    if (expectedVersion !== undefined && expectedVersion !== (current?.version ?? 0)) {
      throw new SystemError(409, `Version conflict: system '${name}' is at version ${current?.version ?? 0}`);
    }
    // A subsystem this node does not hold may stay listed if it came with a replicated system.
    const unknown = spec.systems.filter((s) => !this.specs.has(s) && !current?.systems.includes(s));
    if (unknown.length > 0)
      throw new SystemError(400, `unknown subsystem(s): ${unknown.join(", ")}; create them first`);
    const cycle = findCycle(name, spec.systems, (s) => this.specs.get(s)?.systems ?? []);
    if (cycle) throw new SystemError(409, `cycle: ${cycle.join(" → ")}`);
    const stored: StoredSystem = {
      ...spec,
      version: (current?.version ?? 0) + 1,
      updatedAt: Math.floor(Date.now() / 1000),
    };
    this.q.put.run(name, JSON.stringify(spec), stored.version, stored.updatedAt);
    this.remember(stored);
    this.rebuild();
    this.notifyMembers(current, stored);
    this.onLocalChange?.(name, current);
    return stored;
  }

  /**
   * A system as merged from other sites (undefined: gone there): stored without the checks of a local
   * edit, since it converges with every site; a cycle it closes is cut and reported (`cycles`).
   */
  applyReplicated(name: string, spec: SystemSpec | undefined): void {
    const current = this.specs.get(name);
    if (spec === undefined) {
      if (!current) return;
      this.q.drop.run(name);
      this.specs.delete(name);
      this.dynamic.delete(name);
    } else {
      const stored: StoredSystem = {
        ...spec,
        version: (current?.version ?? 0) + 1,
        updatedAt: Math.floor(Date.now() / 1000),
      };
      const { version: _v, updatedAt: _u, ...plain } = stored;
      this.q.put.run(name, JSON.stringify(plain), stored.version, stored.updatedAt);
      this.remember(stored);
    }
    this.rebuild();
    this.notifyMembers(current, spec);
  }

  /** Subsystems followed below `name` (known ones, cycle edges left out). */
  childrenOf(name: string): readonly string[] {
    return this.children.get(name) ?? [];
  }

  ancestorsOf(name: string): readonly string[] {
    return this.ancestors.get(name) ?? [];
  }

  /** Static member things at or below a system (the things that carry it to other sites). */
  staticThingsBelow(name: string): Set<string> {
    const out = new Set<string>();
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length > 0) {
      const s = stack.pop() as string;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of this.specs.get(s)?.things ?? []) out.add(t);
      stack.push(...this.childrenOf(s));
    }
    return out;
  }

  /** Deletes a system that no other system contains. */
  delete(name: string): void {
    const current = this.get(name);
    const parents = this.list()
      .filter((s) => s.systems.includes(name))
      .map((s) => s.name);
    if (parents.length > 0)
      throw new SystemError(
        409,
        `system '${name}' is a member of ${parents.join(", ")}; remove it there first`,
      );
    this.q.drop.run(name);
    this.specs.delete(name);
    this.dynamic.delete(name);
    this.rebuild();
    this.notifyMembers(current, undefined);
    this.onLocalChange?.(name, current);
  }

  /** Systems `r` belongs to, directly or through subsystems (dynamic ones by their query). */
  membershipOf(r: FleetRecord): readonly string[] {
    const direct = this.directOf.get(r.thing);
    let out: Set<string> | undefined;
    const add = (s: string) => {
      out ??= new Set();
      out.add(s);
      for (const a of this.ancestors.get(s) ?? []) out.add(a);
    };
    if (direct) for (const s of direct) add(s);
    for (const [s, matches] of this.dynamic) if (matches(r)) add(s);
    return out ? [...out] : [];
  }

  /** Distinct things below a system (static, dynamic and through every subsystem). */
  thingsOf(name: string, memo = new Map<string, Set<string>>()): Set<string> {
    const cached = memo.get(name) ?? this.staticMembers.get(name);
    if (cached) return cached;
    const spec = this.get(name);
    const out = new Set(spec.things);
    const matches = this.dynamic.get(name);
    if (matches) for (const r of this.index.all()) if (matches(r)) out.add(r.thing);
    for (const child of this.childrenOf(name)) for (const t of this.thingsOf(child, memo)) out.add(t);
    memo.set(name, out);
    // Without a saved query anywhere below, the set changes only when a system does: keep it.
    if (!this.hasDynamicBelow(name)) this.staticMembers.set(name, out);
    return out;
  }

  private hasDynamicBelow(name: string): boolean {
    const spec = this.specs.get(name);
    return (
      spec !== undefined &&
      (spec.query !== undefined || this.childrenOf(name).some((c) => this.hasDynamicBelow(c)))
    );
  }

  /** The roll-up of a system and of its subsystems down to `depth` levels; each thing is judged once. */
  rollup(name: string, depth: number, now = Math.floor(Date.now() / 1000)): Rollup {
    const members = new Map<string, Set<string>>();
    const health = new Map<string, ThingHealth | undefined>();
    const healthOf = (t: string) => {
      if (health.has(t)) return health.get(t);
      const r = this.index.get(t);
      const h = r ? thingHealth(r) : undefined;
      health.set(t, h);
      return h;
    };
    const statsMemo = new Map<string, RollupStats>();
    // When the subsystems and the direct things do not overlap (the union is exactly as large as its
    // parts), a level is the sum of its parts; otherwise its distinct things are counted one by one.
    const statsOf = (s: string): RollupStats => {
      const memo = statsMemo.get(s);
      if (memo) return memo;
      const spec = this.get(s);
      const all = this.thingsOf(s, members);
      const subs = this.childrenOf(s);
      const parts = subs.map((c) => this.thingsOf(c, members).size).reduce((a, b) => a + b, 0);
      const stats = emptyStats();
      if (!this.dynamic.has(s) && parts + spec.things.length === all.size) {
        for (const c of subs) sumInto(stats, statsOf(c));
        for (const t of spec.things) addToStats(stats, healthOf(t), now);
      } else {
        for (const t of all) addToStats(stats, healthOf(t), now);
      }
      statsMemo.set(s, stats);
      return stats;
    };
    const level = (s: string, d: number): Rollup => ({
      name: s,
      ...statsOf(s),
      ...this.rollupExtra?.(s),
      systems: this.childrenOf(s).map((c) => (d > 0 ? level(c, d - 1) : { name: c })),
    });
    return level(name, depth);
  }

  private remember(s: StoredSystem): void {
    this.specs.set(s.name, s);
    if (s.query) this.dynamic.set(s.name, compileQuery(parseQuery(s.query)));
    else this.dynamic.delete(s.name);
  }

  /** Recomputes thing → direct systems and system → ancestors. */
  private rebuild(): void {
    this.staticMembers = new Map();
    this.directOf = new Map();
    const cut = cutCycles(new Map([...this.specs.values()].map((s) => [s.name, s.systems])));
    this.children = cut.kept;
    this.cycles = cut.cycles;
    const parents = new Map<string, string[]>();
    for (const s of this.specs.values()) {
      for (const t of s.things) {
        const set = this.directOf.get(t) ?? new Set<string>();
        this.directOf.set(t, set);
        set.add(s.name);
      }
      for (const c of this.childrenOf(s.name)) parents.set(c, [...(parents.get(c) ?? []), s.name]);
    }
    this.ancestors = new Map();
    for (const name of this.specs.keys()) {
      const seen = new Set<string>();
      const stack = [...(parents.get(name) ?? [])];
      while (stack.length > 0) {
        const p = stack.pop() as string;
        if (seen.has(p)) continue;
        seen.add(p);
        stack.push(...(parents.get(p) ?? []));
      }
      this.ancestors.set(name, [...seen]);
    }
  }

  /** Live fleet streams learn that static members' `systems` changed. */
  private notifyMembers(before: SystemSpec | undefined, after: SystemSpec | undefined): void {
    const things = new Set([...(before?.things ?? []), ...(after?.things ?? [])]);
    if (things.size > 1000) return;
    for (const t of things) if (this.index.get(t)) this.index.notify(t);
  }
}
