/**
 * Telemetry as the node stores it: numeric samples per thing and metric. Booleans are stored as 0/1;
 * strings and other values are not telemetry (they belong in `reported`).
 */
export interface TelemetrySample {
  /** Metric name: one or more `/`-separated levels of [A-Za-z0-9_.:-], at most 128 characters. */
  metric: string;
  value: number;
  /** Sample time, Unix milliseconds (the node's receive time when the publisher gave none). */
  ts: number;
}

/**
 * What the telemetry capability (node extension "telemetry") offers other capabilities: Sparkplug
 * ingest and the relay use it instead of publishing on the MQTT topics.
 */
export interface TelemetryIngest {
  /**
   * Queues samples for the batched writer; returns at once. `historical` marks samples that arrived
   * late (relay store-and-forward, Sparkplug historical metrics): they go to the series but do not
   * move the latest value backwards.
   */
  record(thing: string, samples: readonly TelemetrySample[], options?: { historical?: boolean }): void;
  /** Latest value per metric of a thing (including samples not yet written). */
  latest(thing: string): Record<string, { value: number; ts: number }>;
}
