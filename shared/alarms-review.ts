import type { Alarm } from "./alarms-lifecycle.ts";

/**
 * `GET /systems/{s}/review`: what happened in a system over a period (broker/alarms/review.ts builds
 * it; the console's review page reads it). Node-free: the console imports these types.
 */
export interface Review {
  system: string;
  since: number;
  until: number;
  /** Raises in the period, and the distinct alarms raised. */
  raised: { raises: number; alarms: number };
  stillOpen: Alarm[];
  /** Raised in the period and not acknowledged (now or at any point in the period). */
  neverAcknowledged: Alarm[];
  /** Alarms raised more than once in the period, most raises first (top 10). */
  mostFlapping: { id: string; thing: string; rule: string; raises: number }[];
  /** Things with desired state still pending, longest first (top 10). */
  longestNotConverged: { thing: string; pendingSeconds: number }[];
  /** null: no jobs capability on this node. */
  jobs: ReviewJob[] | null;
}

/** A job as the review lists it (the jobs capability provides them, broker/jobs/extension.ts). */
export interface ReviewJob {
  id: string;
  state: string;
  /** Epoch seconds. */
  createdAt: number;
  creator: string;
  /** Things of the system the job targets, and those it has written. */
  things: number;
  written: number;
}
