import type { HistogramData } from "./histogram.ts";
import type { LoopDelay } from "./loop-watch.ts";

/**
 * Messages between the orchestrator (bench/shadow-bench.ts) and its load workers
 * (bench/load-worker.ts), sent over the fork() IPC channel.
 *
 * `shadow` devices publish shadow updates and wait for `/update/accepted`; `echo` devices (the bare
 * aedes baseline) publish to their own topic and wait for the broker to deliver it back to them.
 */
export type DeviceMode = "shadow" | "echo";

export type WorkerCommand =
  | { cmd: "connect"; url: string; ids: string[]; mode: DeviceMode; concurrency: number; timeoutMs: number }
  | { cmd: "closed"; durationMs: number; drainMs: number }
  | { cmd: "open"; rate: number; durationMs: number; drainMs: number }
  | { cmd: "desired"; rate: number; durationMs: number; drainMs: number }
  | { cmd: "ping" }
  | { cmd: "close" };

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError?: string;
  ms: number;
}

export interface PhaseResult {
  /** Requests sent during the measurement window. */
  sent: number;
  /** Replies (accepted, or echo/delta received) that arrived inside the window. */
  completedInWindow: number;
  /** Replies to requests of the window, whenever they arrived (before the drain deadline). */
  completed: number;
  rejected: number;
  /** Requests of the window still unanswered at the drain deadline. */
  unanswered: number;
  /** Open loop only: how far (ms) the sender fell behind its schedule at worst. */
  maxSendLagMs: number;
  /** Connections that closed unexpectedly so far. */
  disconnects: number;
  windowMs: number;
  /** Latency of every completed request of the window; open loop measures from the scheduled time. */
  latency: HistogramData;
  /** Worst latency of the requests started in each second of the window (to see when stalls happen). */
  maxBySecondMs: number[];
  /** This worker's own event-loop delay during the phase (a late reply may be the client's stall). */
  loop: LoopDelay;
}

export type WorkerReply =
  | { ok: true; result: ConnectResult | PhaseResult | null }
  | { ok: false; error: string };
