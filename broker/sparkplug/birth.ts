import type { JsonObject } from "../../shared/json.ts";
import type { SparkplugMetric } from "./codec.ts";

/** What a birth certificate says about one metric: needed to resolve aliases and to send commands. */
export interface MetricInfo {
  datatype: string;
  alias?: number;
  properties?: JsonObject;
}

/**
 * The metrics an edge node or device declared in its last NBIRTH/DBIRTH. DATA may name a metric by
 * alias only; an alias the birth did not declare means the host's picture is stale (rebirth).
 */
export class BirthCertificate {
  readonly metrics = new Map<string, MetricInfo>();
  private readonly aliases = new Map<number, string>();

  constructor(
    metrics: readonly SparkplugMetric[],
    /** Unix ms of the birth (payload timestamp, else receive time). */
    readonly at: number,
  ) {
    for (const m of metrics) {
      if (m.name === undefined) continue;
      const info: MetricInfo = { datatype: m.datatype };
      if (m.alias !== undefined) {
        info.alias = m.alias;
        this.aliases.set(m.alias, m.name);
      }
      if (m.properties) info.properties = m.properties;
      this.metrics.set(m.name, info);
    }
  }

  /** The metric's name: its own when given, else its alias's; undefined for an unknown alias or neither. */
  resolve(m: Pick<SparkplugMetric, "name" | "alias">): string | undefined {
    if (m.name !== undefined) return m.name;
    return m.alias === undefined ? undefined : this.aliases.get(m.alias);
  }

  hasAlias(alias: number): boolean {
    return this.aliases.has(alias);
  }
}
