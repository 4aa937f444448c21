import type { JsonObject, JsonValue } from "../shared/json.ts";
import { isValidMetricName } from "../shared/telemetry-payload.ts";
import { DEFAULT_SUMMARY_INTERVAL_S, SummaryThrottle } from "../shared/telemetry-summary.ts";
import { pointFor, setPath } from "./convert.ts";
import type { PointSpec } from "./types.ts";

/**
 * Measurements: points with `kind: measurement` (watts, volts, temperatures, counters). Their values
 * move with every poll, so in `reported` they would make one shadow change per poll; instead each poll
 * publishes them as telemetry (stored as time series by the node, docs/telemetry.md), and `reported`
 * gets a summary: the latest values, at most once per the device's summary interval (docs/bridge.md).
 * Pure: the runner does the I/O.
 */

export const DEFAULT_SUMMARY_MS = DEFAULT_SUMMARY_INTERVAL_S * 1000;

/**
 * Metrics per telemetry message. The node refuses a message of more than 1000 as a whole
 * (MAX_METRICS_PER_MESSAGE): a 500-port switch with three counters per port goes out in several.
 */
export const METRICS_PER_MESSAGE = 500;

/** The telemetry metric of a shadow path: its levels joined with `/` (`input.power` → `input/power`). */
export function metricOf(path: string): string {
  return path.replaceAll(".", "/");
}

/**
 * Splits one poll's values (by expanded path) into state and measurement samples. A measurement reading
 * that cannot be a sample (not a finite number — a BMC's "N/A" — or a path that makes no valid metric
 * name) is kept as state, so it still reaches `reported` rather than being dropped.
 */
export function splitReadings(
  points: readonly PointSpec[],
  values: ReadonlyMap<string, JsonValue>,
): { state: Map<string, JsonValue>; samples: Map<string, number> } {
  const state = new Map<string, JsonValue>();
  const samples = new Map<string, number>();
  for (const [path, value] of values) {
    const measurement =
      pointFor(points, path)?.kind === "measurement" &&
      typeof value === "number" &&
      Number.isFinite(value) &&
      isValidMetricName(metricOf(path));
    if (measurement) samples.set(path, value as number);
    else state.set(path, value);
  }
  return { state, samples };
}

/** Telemetry messages of one poll: `{ts, …values nested as in reported}`, at most 500 values each. */
export function telemetryMessages(samples: ReadonlyMap<string, number>, ts: number): JsonObject[] {
  const messages: JsonObject[] = [];
  let current: JsonObject | undefined;
  let count = 0;
  for (const [path, value] of samples) {
    if (!current || count === METRICS_PER_MESSAGE) {
      current = { ts };
      messages.push(current);
      count = 0;
    }
    setPath(current, path, value);
    count++;
  }
  return messages;
}

/**
 * The summary of one device's measurements in `reported`: every `summaryMs` at most, the values that
 * changed since they were last written, all in one report (so the shadow changes at most once per
 * interval for them). A full report writes every latest value, changed or not (it repairs a shadow
 * that was deleted). Built on the node's SummaryThrottle (shared/telemetry-summary.ts).
 */
export class MeasurementSummary {
  private readonly throttle = new SummaryThrottle();
  private readonly latest = new Map<string, number>();
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(readonly summaryMs: number = DEFAULT_SUMMARY_MS) {}

  observe(samples: ReadonlyMap<string, number>, ts: number): void {
    for (const [path, value] of samples) {
      this.throttle.observe(path, value, ts);
      this.latest.set(path, value);
    }
  }

  /** A measurement path that read as state this poll: its next number is written at the next summary. */
  forget(path: string): void {
    this.latest.delete(path);
    this.throttle.forget(path);
  }

  /** Path → value to put into `reported` now (empty when nothing is due). */
  take(now: number, full: boolean): Map<string, number> {
    const out = new Map<string, number>();
    if (full) {
      for (const [path, value] of this.latest) {
        this.throttle.wrote(path, value, now);
        out.set(path, value);
      }
    } else if (now - this.lastAt >= this.summaryMs) {
      // The device's interval gates the whole summary, so per-metric intervals play no part here.
      for (const { metric, value } of this.throttle.take(now, () => 0).due) out.set(metric, value);
    }
    if (out.size > 0) this.lastAt = now;
    return out;
  }
}
