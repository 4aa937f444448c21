import type { Principal } from "../../shared/acl.ts";
import type { Logger } from "../../shared/logger.ts";
import type { TelemetrySample } from "../../shared/telemetry.ts";
import { reportedPatch, type SummaryRule, SummaryThrottle } from "../../shared/telemetry-summary.ts";
import { CLASSIC_SHADOW } from "../../shared/topics.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";

/** Things written per run at most, so a fleet-wide tick is spread over several seconds. */
const THINGS_PER_RUN = 500;

/**
 * Copies chosen metrics into `reported`, rate-bounded: at most one shadow update per thing per run,
 * and a metric only when its value changed and its minimum interval has passed since its last write.
 * Samples only update memory; the shadow is written by the timer, never on a sample's arrival.
 */
export class TelemetrySummary {
  private readonly rules: Map<string, SummaryRule>;
  private readonly state = new Map<string, SummaryThrottle>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  writes = 0;

  constructor(
    rules: readonly SummaryRule[],
    private readonly service: ShadowService,
    private readonly principal: Principal,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.rules = new Map(rules.map((r) => [r.metric, r]));
  }

  get enabled(): boolean {
    return this.rules.size > 0;
  }

  observe(thing: string, samples: readonly TelemetrySample[]): void {
    for (const s of samples) {
      if (!this.rules.has(s.metric)) continue;
      let throttle = this.state.get(thing);
      if (!throttle) {
        throttle = new SummaryThrottle();
        this.state.set(thing, throttle);
      }
      throttle.observe(s.metric, s.value, s.ts);
      this.dirty.add(thing);
    }
  }

  start(intervalMs = 1000): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.run(), intervalMs);
    this.timer.unref();
  }

  /** Writes due summaries; returns the number of shadow updates sent. */
  run(): number {
    const now = this.now();
    let sent = 0;
    for (const thing of [...this.dirty]) {
      if (sent >= THINGS_PER_RUN) break;
      const throttle = this.state.get(thing);
      if (!throttle) continue;
      const rule = (metric: string) => this.rules.get(metric) as SummaryRule;
      const taken = throttle.take(now, (metric) => rule(metric).minIntervalMs);
      if (!taken.waiting) this.dirty.delete(thing);
      if (taken.due.length === 0) continue;
      const due = taken.due.map((d) => ({ path: rule(d.metric).path, value: d.value }));
      sent++;
      this.writes++;
      const body = JSON.stringify({ state: { reported: reportedPatch(due) } });
      this.service.update({ thing, shadow: CLASSIC_SHADOW }, body, this.principal).then(
        (r) => {
          if (!r.ok)
            this.log.warn(
              { thing, code: r.error.code, reason: r.error.message },
              "telemetry summary refused",
            );
        },
        (err) => this.log.error({ err, thing }, "telemetry summary failed"),
      );
    }
    return sent;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
