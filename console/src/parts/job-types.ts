import { type JobState, THING_STATUSES } from "../../../shared/jobs-rollout.ts";

/** The jobs API's answers as the console reads them (docs/jobs.md, broker/jobs/job-service.ts). */
export interface JobSummary {
  id: string;
  state: JobState;
  target: { q?: string; system?: string; things?: string[] };
  shadow: string;
  createdBy: string;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
  batch: number;
  counts: Record<string, number> & { total: number };
  patch?: object;
  command?: object;
  description?: string;
  reason?: string;
}

export interface JobThing {
  thing: string;
  status: string;
  written: boolean;
  reason?: string;
  startedAt?: number;
  finishedAt?: number;
}

export { THING_STATUSES };

export const isOver = (j: JobSummary) => j.state !== "running" && j.state !== "paused";

export function targetText(t: JobSummary["target"]): string {
  if (t.q !== undefined) return `query ${t.q}`;
  if (t.system !== undefined) return `system ${t.system}`;
  return `things ${(t.things ?? []).join(", ")}`;
}

export function stateBadgeClass(state: string): string {
  if (state === "succeeded" || state === "converged") return "badge ok";
  if (state === "failed" || state === "aborted") return "badge bad";
  if (state === "running" || state === "waiting" || state === "writing") return "badge warn";
  return "badge off";
}
