import type { DeltaHandler } from "../device-agent/index.ts";
import type { JsonObject, JsonValue } from "../shared/json.ts";
import type { Logger } from "../shared/logger.ts";

/** What a device runner (engine.ts) is given and what it exposes: its link to the shadow, its log, its options and status. */

/** The part of a connected SDK device the runner uses (tests pass a fake). */
export interface ShadowLink {
  report(patch: JsonObject): Promise<void>;
  onDelta(handler: DeltaHandler): () => void;
  /** Removes desired keys after a one-shot command ran (the SDK Device has it; `--once` has none). */
  clearDesired?(paths: readonly string[]): Promise<void>;
  /** Publishes measurements as telemetry (the SDK Device has it; `--once` has none). */
  publishTelemetry?(values: JsonObject): Promise<boolean>;
}

export interface RunnerOptions {
  /** Everything is re-reported this often even when unchanged (default 5 min). */
  fullReportMs?: number;
  /** Retry of an unreachable device: the delay doubles from initialMs up to maxMs (default pollMs … 60 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Delays before each read-back after a write (default [0, 250, 1000] ms: relays take a moment). */
  verifyDelaysMs?: number[];
  log?: Logger;
  /**
   * After each poll that read the device: the state values read, and whether the device has just
   * started answering (first poll, or after it was unreachable). The bridge's attributes follow it.
   */
  onRead?: (state: ReadonlyMap<string, JsonValue>, answering: boolean) => void;
  now?: () => number;
  random?: () => number;
}

export interface DeviceStatus {
  reachable: boolean | undefined;
  error: string | undefined;
  since: number;
  failures: number;
  polls: number;
}
