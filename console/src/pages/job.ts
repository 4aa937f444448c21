import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { formatTime, json } from "../format.ts";
import { nodeEvents } from "../live.ts";
import { errorText } from "../load.ts";
import {
  isOver,
  type JobSummary,
  type JobThing,
  stateBadgeClass,
  THING_STATUSES,
  targetText,
} from "../parts/job-types.ts";
import { thingHref } from "../router.ts";
import { canEdit, type Session } from "../session.ts";

/** One job: its counts and per-thing progress, live (the job stream's events on the page's node stream); operators control it. */
export function JobDetail({ id, session }: { id: string; session: Session }) {
  const [job, setJob] = useState<JobSummary | undefined>();
  const [things, setThings] = useState<JobThing[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState(false);
  const [acting, setActing] = useState(false);
  const path = `/jobs/${enc(id)}`;

  useEffect(() => {
    let stopFollow: (() => void) | undefined;
    let stop = false;
    let ended = false;
    const onThing = (t: JobThing) =>
      setThings((list) => {
        const i = list.findIndex((x) => x.thing === t.thing);
        if (i < 0) return [...list, t];
        const copy = list.slice();
        copy[i] = t;
        return copy;
      });
    api<JobSummary & { things: JobThing[] }>(path)
      .then((j) => {
        if (stop) return;
        setJob(j);
        setThings(j.things);
        if (isOver(j)) return;
        // The job's events on the page's one node stream (GET /jobs/{id}/stream's, docs/console.md).
        stopFollow = nodeEvents.follow({
          what: { job: id },
          following: () => !ended && setLive(true),
          on: (event, data) => {
            const { key: _, ...body } = data;
            if (event === "job") setJob(body as unknown as JobSummary);
            else if (event === "thing") onThing(body as unknown as JobThing);
            else if (event === "end") {
              ended = true;
              setJob(body as unknown as JobSummary);
              stopFollow?.();
              setLive(false);
            }
          },
        });
      })
      .catch((err: unknown) => !stop && setError(errorText(err)));
    const offStatus = nodeEvents.onStatus((s) => s === "lost" && setLive(false));
    return () => {
      stop = true;
      offStatus();
      stopFollow?.();
    };
  }, [id]);

  const control = (action: "pause" | "resume" | "cancel") => {
    setActing(true);
    api<JobSummary>(`${path}/${action}`, { method: "POST" })
      .then((j) => {
        setJob((old) => ({ ...old, ...j }));
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorText(err)))
      .finally(() => setActing(false));
  };

  return html`
    <p class="crumbs"><a href="#/jobs">Jobs</a> / ${id}</p>
    <h1>Job ${id}</h1>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      job
        ? html`
      <p class="meta" data-testid="job-state">
        <span class=${stateBadgeClass(job.state)}>${job.state}</span>
        ${live ? html` <span class="badge ok">live</span>` : null}
        ${job.reason ? ` — ${job.reason}` : ""}
      </p>
      <dl class="facts">
        <dt>Target</dt><dd>${targetText(job.target)}${job.shadow ? ` (shadow ${job.shadow})` : ""}</dd>
        <dt>${job.command ? "Command" : "Patch"}</dt><dd><code>${json(job.command ?? job.patch)}</code></dd>
        <dt>Created</dt><dd>${formatTime(job.createdAt)} by ${job.createdBy}</dd>
        <dt>Batch</dt><dd>${job.batch + 1}</dd>
        ${job.description ? html`<dt>Description</dt><dd>${job.description}</dd>` : null}
      </dl>
      <ul class="counts" aria-label="Progress" data-testid="job-counts">
        <li>total <strong>${job.counts.total}</strong></li>
        ${THING_STATUSES.map((s) => html`<li data-count=${s}>${s} <strong>${job.counts[s] ?? 0}</strong></li>`)}
      </ul>
      ${
        canEdit(session) && !isOver(job)
          ? html`<div class="toolbar">
            ${job.state === "running" ? html`<button disabled=${acting} onClick=${() => control("pause")}>Pause</button>` : html`<button disabled=${acting} onClick=${() => control("resume")}>Resume</button>`}
            <button class="danger" disabled=${acting} onClick=${() => confirm(`Cancel job ${id}? Things not started yet will not be touched.`) && control("cancel")}>Cancel job</button>
          </div>`
          : null
      }
      <div class="scroll" tabindex="0"><table data-testid="job-things">
        <caption class="sr-only">Things of this job</caption>
        <thead><tr><th scope="col">Thing</th><th scope="col">Status</th><th scope="col">Written</th><th scope="col">Reason</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${things.map(
          (t) => html`<tr key=${t.thing} data-thing=${t.thing}>
            <th scope="row"><a href=${thingHref(t.thing)}>${t.thing}</a></th>
            <td data-col="status"><span class=${stateBadgeClass(t.status)}>${t.status}</span></td>
            <td>${t.written ? "yes" : "no"}</td>
            <td>${t.reason ?? "—"}</td>
            <td>${t.startedAt ? formatTime(t.startedAt / 1000) : "—"}</td>
            <td>${t.finishedAt ? formatTime(t.finishedAt / 1000) : "—"}</td>
          </tr>`,
        )}</tbody>
      </table></div>`
        : error
          ? null
          : html`<p>Loading job…</p>`
    }
  `;
}
