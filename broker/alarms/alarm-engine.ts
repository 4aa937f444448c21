import { type Condition, recordCondition, telemetryCondition } from "../../shared/alarms-eval.ts";
import { type Alarm, type AlarmEvent, clear, fire, isOpen } from "../../shared/alarms-lifecycle.ts";
import type { AlarmRule } from "../../shared/alarms-rules.ts";
import { matchesThing } from "../../shared/glob.ts";
import type { FleetRecord } from "../../shared/query/index.ts";
import type { TelemetrySample } from "../../shared/telemetry.ts";
import type { AlarmStore } from "./alarm-store.ts";

/** What the engine needs of the fleet (broker/alarms/fleet-port.ts adapts the fleet capability). */
export interface AlarmScope {
  /** The thing's fleet record (shadows, presence), undefined when the index has none. */
  record(thing: string): FleetRecord | undefined;
  /** Systems the thing belongs to, directly or through subsystems. */
  systemsOf(thing: string): readonly string[];
  /** Every thing the index knows (for a full evaluation after the rules change). */
  things(): Iterable<string>;
}

export interface AlarmEngineOptions {
  site: string;
  now: () => number;
  /** Latest telemetry of a thing (for a full evaluation). */
  latest(thing: string): Record<string, { value: number; ts: number }>;
  /** Called after each stored transition that has an event (raise, clear). */
  changed(alarm: Alarm, event: AlarmEvent): void;
}

/** lastSeen of an open alarm is written at most this often (it changes with every sample). */
const TOUCH_MS = 60_000;

interface Pending {
  rule: AlarmRule;
  thing: string;
  since: number;
  value: Condition;
  /** Raised (or latched) already: the timer has nothing to do for it. */
  fired: boolean;
}

/**
 * Evaluates rules where the data is: on every fleet-record change, every accepted telemetry batch, and
 * a timer for conditions still inside their `for`. Holds per (rule, thing) when a condition began;
 * stores transitions through AlarmStore and reports them for notification.
 */
export class AlarmEngine {
  private rules: AlarmRule[] = [];
  private recordRules: AlarmRule[] = [];
  private byMetric = new Map<string, AlarmRule[]>();
  private readonly pending = new Map<string, Pending>();
  /** Cleared by hand while the condition held: not raised again until it stops holding once. */
  private readonly latched = new Set<string>();
  private readonly membership = new Map<string, readonly string[]>();
  /** Evaluations done (for the benchmark and metrics). */
  evaluations = 0;

  constructor(
    private readonly store: AlarmStore,
    private readonly scope: AlarmScope,
    private readonly opts: AlarmEngineOptions,
  ) {}

  get ruleCount(): number {
    return this.rules.length;
  }

  /** Replaces the rules; alarms of rules that are gone are cleared; everything is evaluated again. */
  setRules(rules: readonly AlarmRule[]): void {
    this.rules = [...rules];
    this.recordRules = rules.filter((r) => r.kind !== "telemetry");
    this.byMetric = new Map();
    for (const r of rules) {
      if (r.kind !== "telemetry" || !r.metric) continue;
      this.byMetric.set(r.metric, [...(this.byMetric.get(r.metric) ?? []), r]);
    }
    const ids = new Set(rules.map((r) => r.id));
    const now = this.opts.now();
    for (const a of [...this.store.all()]) {
      if (a.site === this.opts.site && isOpen(a) && !ids.has(`${a.system}/${a.rule}`))
        this.apply(clear(a, now, "rules"));
    }
    for (const [id, p] of this.pending) if (!ids.has(p.rule.id)) this.pending.delete(id);
    this.evaluateAll();
  }

  evaluateAll(): void {
    for (const thing of this.scope.things()) {
      this.thingChanged(thing, this.scope.record(thing));
      const latest = this.opts.latest(thing);
      const samples = Object.entries(latest).map(([metric, v]) => ({ metric, value: v.value, ts: v.ts }));
      if (samples.length > 0) this.samples(thing, samples);
    }
  }

  /** The fleet record of a thing changed (shadow, presence, attributes, membership). */
  thingChanged(thing: string, record: FleetRecord | undefined): void {
    this.membership.delete(thing);
    if (this.recordRules.length === 0) return;
    for (const rule of this.recordRules) {
      if (this.inScope(rule, thing)) this.step(rule, thing, recordCondition(rule, record));
    }
  }

  /** Accepted telemetry of a thing: the newest sample of each metric a rule watches. */
  samples(thing: string, samples: readonly TelemetrySample[]): void {
    if (this.byMetric.size === 0) return;
    const newest = new Map<string, TelemetrySample>();
    for (const s of samples) {
      if (!this.byMetric.has(s.metric)) continue;
      const seen = newest.get(s.metric);
      if (!seen || s.ts >= seen.ts) newest.set(s.metric, s);
    }
    for (const [metric, s] of newest) {
      for (const rule of this.byMetric.get(metric) ?? []) {
        if (this.inScope(rule, thing)) this.step(rule, thing, telemetryCondition(rule, s));
      }
    }
  }

  /** Raises the alarms whose condition has now held for their `for`. */
  tick(): void {
    const now = this.opts.now();
    for (const [id, p] of this.pending) {
      if (!p.fired && now >= p.since + p.rule.forMs && !this.latched.has(id)) this.raise(id, p, now);
    }
  }

  /**
   * Forgets cached system membership. Things with a fleet record hear of system changes through the
   * index; things known only by their telemetry do not, so the service calls this now and then.
   */
  forgetMembership(): void {
    this.membership.clear();
  }

  /** Manual clear: the alarm stays cleared while its condition keeps holding. */
  latch(id: string): void {
    if (this.pending.has(id)) this.latched.add(id);
  }

  private inScope(rule: AlarmRule, thing: string): boolean {
    if (rule.things && !matchesThing(rule.things, thing)) return false;
    let systems = this.membership.get(thing);
    if (!systems) {
      systems = this.scope.systemsOf(thing);
      this.membership.set(thing, systems);
    }
    return systems.includes(rule.system);
  }

  private step(rule: AlarmRule, thing: string, c: Condition): void {
    this.evaluations++;
    const id = `${rule.id}/${thing}`;
    const now = this.opts.now();
    if (!c.holds) {
      this.latched.delete(id);
      if (this.pending.delete(id)) {
        const a = this.store.get(id);
        if (a && isOpen(a)) this.apply(clear(a, now));
      }
      return;
    }
    const before = this.pending.get(id);
    const since = c.since ?? before?.since ?? now;
    const p: Pending = { rule, thing, since, value: c, fired: before?.fired ?? false };
    this.pending.set(id, p);
    if (now >= since + rule.forMs && !this.latched.has(id)) this.raise(id, p, now);
  }

  private raise(id: string, p: Pending, now: number): void {
    p.fired = true;
    const current = this.store.get(id);
    const t = fire(
      current,
      {
        id,
        system: p.rule.system,
        rule: p.rule.name,
        thing: p.thing,
        kind: p.rule.kind,
        severity: p.rule.severity,
        site: this.opts.site,
        summary: p.rule.summary ?? `${p.rule.name} on ${p.thing}`,
        ...(p.value.holds && p.value.value !== undefined ? { value: p.value.value } : {}),
      },
      now,
    );
    if (t.event || !current || now - current.lastSeen >= TOUCH_MS) this.apply(t);
  }

  private apply(t: { alarm: Alarm; event?: AlarmEvent }): void {
    const stored = this.store.save(t.alarm, t.event);
    if (t.event) this.opts.changed(stored, t.event);
  }
}
