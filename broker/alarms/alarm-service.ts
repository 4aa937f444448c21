import type { Alarm, AlarmEvent } from "../../shared/alarms-lifecycle.ts";
import { formatProblem } from "../../shared/alarms-rules.ts";
import type { Logger } from "../../shared/logger.ts";
import { AlarmEngine } from "./alarm-engine.ts";
import type { AlarmStore } from "./alarm-store.ts";
import { type AlarmCounts, countAlarms } from "./counts.ts";
import type { FleetPort } from "./fleet-port.ts";
import type { AlarmNotifications, AlarmNotifier } from "./notify.ts";
import { type JobsProvider, type Review, reviewOf } from "./review.ts";
import { RulesDirectory, type RulesSnapshot } from "./rules-dir.ts";

export interface AlarmServiceOptions {
  site: string;
  rulesDir?: string;
  now: () => number;
  log: Logger;
  latest(thing: string): Record<string, { value: number; ts: number }>;
  notifications: AlarmNotifications;
  /** Sees every stored transition, notified or not (the MQTT state feed that the relay carries). */
  feed: AlarmNotifier;
  jobs?: JobsProvider;
}

/**
 * The alarms of one node: rules from the directory, the engine, the store, notifications, and the
 * operator's actions. Transport-free (routes.ts and extension.ts are its edges).
 */
export class AlarmService {
  readonly engine: AlarmEngine;
  readonly site: string;
  readonly rulesDir: string | undefined;
  private readonly dir: RulesDirectory | undefined;

  constructor(
    readonly store: AlarmStore,
    readonly fleet: FleetPort,
    private readonly opts: AlarmServiceOptions,
  ) {
    this.site = opts.site;
    this.rulesDir = opts.rulesDir;
    this.engine = new AlarmEngine(store, fleet, {
      site: opts.site,
      now: opts.now,
      latest: opts.latest,
      changed: (alarm, event) => this.changed(alarm, event),
    });
    this.dir = opts.rulesDir ? new RulesDirectory(opts.rulesDir) : undefined;
  }

  /** Reads the rules directory again; applies the rules when they changed. */
  reloadRules(): void {
    if (!this.dir) return;
    this.engine.forgetMembership();
    const before = new Set(this.dir.snapshot().problems.map(formatProblem));
    const changed = this.dir.scan();
    const s = this.dir.snapshot();
    for (const p of s.problems.map(formatProblem)) {
      if (!before.has(p))
        this.opts.log.warn({ problem: p }, "alarm rules refused (the file's previous rules stay in force)");
    }
    if (changed) {
      this.engine.setRules(s.rules);
      this.opts.log.info({ rules: s.rules.length, files: s.files.length }, "alarm rules loaded");
    }
  }

  rulesSnapshot(): RulesSnapshot {
    return this.dir?.snapshot() ?? { rules: [], problems: [], files: [] };
  }

  /** Stores an operator's transition and tells the feed (and notifiers for a clear). */
  apply(t: { alarm: Alarm; event?: AlarmEvent }, latch?: string): Alarm {
    const stored = this.store.save(t.alarm, t.event);
    if (latch) this.engine.latch(latch);
    if (t.event) this.changed(stored, t.event);
    return stored;
  }

  counts(system: string): AlarmCounts {
    return countAlarms(this.store.all(), system, this.fleet.thingsOf(system), this.opts.now());
  }

  review(system: string, since: number): Review {
    return reviewOf(system, since, this.opts.now(), this.store, this.fleet, this.opts.jobs);
  }

  private changed(alarm: Alarm, event: AlarmEvent): void {
    this.opts.feed.notify(alarm, event);
    this.opts.notifications.notify(alarm, event);
  }
}
