import { html } from "htm/preact";
import { formatTime } from "../format.ts";
import { useApi } from "../load.ts";
import type { PageProps } from "../pages.ts";
import { ClaimsList } from "../parts/claims.ts";
import { DryRunForm } from "../parts/dry-run.ts";
import { type JobSummary, stateBadgeClass, targetText } from "../parts/job-types.ts";
import { canEdit } from "../session.ts";
import { JobDetail } from "./job.ts";

/** The list re-reads: jobs have a stream per job, not one for the list. */
const POLL_MS = 3000;

export const jobHref = (id: string) => `#/jobs/${encodeURIComponent(id)}`;

/** `#/jobs`: jobs, maintenance claims and (operators) a dry-run form; `#/jobs/{id}`: one job, live. */
export function JobsPage({ route, session }: PageProps) {
  const id = route.args[0];
  if (id) return html`<${JobDetail} key=${id} id=${id} session=${session} />`;
  return html`<${JobsList} session=${session} />`;
}

function JobsList({ session }: Pick<PageProps, "session">) {
  const { data, error } = useApi<{ jobs: JobSummary[] }>("/jobs", POLL_MS);
  const jobs = data ? [...data.jobs].sort((a, b) => b.createdAt - a.createdAt) : undefined;
  return html`
    <h1>Jobs</h1>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !jobs
        ? error
          ? null
          : html`<p>Loading jobs…</p>`
        : jobs.length === 0
          ? html`<p class="empty">No jobs yet.</p>`
          : html`<div class="scroll" tabindex="0"><table data-testid="jobs-table">
            <caption class="sr-only">Jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Target</th><th scope="col">Progress</th><th scope="col">By</th><th scope="col">Created</th><th scope="col">Description</th></tr></thead>
            <tbody>${jobs.map(
              (j) => html`<tr key=${j.id} data-job=${j.id}>
                <th scope="row"><a href=${jobHref(j.id)}>${j.id}</a></th>
                <td><span class=${stateBadgeClass(j.state)}>${j.state}</span></td>
                <td>${targetText(j.target)}</td>
                <td>${j.counts.converged ?? 0} converged, ${j.counts.failed ?? 0} failed, ${j.counts.skipped ?? 0} skipped of ${j.counts.total}</td>
                <td>${j.createdBy}</td>
                <td>${formatTime(j.createdAt)}</td>
                <td>${j.description ?? "—"}</td>
              </tr>`,
            )}</tbody>
          </table></div>`
    }
    ${canEdit(session) ? html`<${DryRunForm} />` : null}
    <${ClaimsList} session=${session} />
  `;
}
