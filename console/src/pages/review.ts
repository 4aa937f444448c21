import { html } from "htm/preact";
import type { Review } from "../../../shared/alarms-review.ts";
import { enc } from "../api.ts";
import { duration, formatTime } from "../format.ts";
import { useApi } from "../load.ts";
import type { PageProps } from "../pages.ts";
import { thingHref } from "../router.ts";
import { AlarmTable } from "./alarms.ts";
import { jobHref } from "./jobs.ts";

const PERIODS = ["24h", "7d", "30d"];

/** `#/review/{system}?since=7d`: what happened in a system over a period (`GET /systems/{s}/review`). */
export function ReviewPage({ route }: PageProps) {
  const system = route.args[0] ?? "";
  const since = route.query.get("since") ?? "7d";
  const { data, error } = useApi<Review>(`/systems/${enc(system)}/review?since=${enc(since)}`, 10_000);
  return html`
    <p class="crumbs"><a href="#/systems">Systems</a> / <a href=${`#/systems/${enc(system)}`}>${system}</a> / review</p>
    <h1>Review of ${system}</h1>
    <nav class="tabs" aria-label="Period">
      ${PERIODS.map((p) => html`<a href=${`#/review/${enc(system)}?since=${p}`} aria-current=${p === since ? "page" : undefined}>last ${p}</a>`)}
    </nav>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !data
        ? error
          ? null
          : html`<p>Loading review…</p>`
        : html`
      <p class="meta" data-testid="review-summary">From ${formatTime(data.since / 1000)} to ${formatTime(data.until / 1000)}: <strong>${data.raised.raises}</strong> raises of ${data.raised.alarms} alarms.</p>
      <h2>Still open (${data.stillOpen.length})</h2>
      ${data.stillOpen.length === 0 ? html`<p class="empty">None.</p>` : html`<${AlarmTable} alarms=${data.stillOpen} editable=${false} />`}
      <h2>Never acknowledged (${data.neverAcknowledged.length})</h2>
      ${data.neverAcknowledged.length === 0 ? html`<p class="empty">None.</p>` : html`<ul>${data.neverAcknowledged.map((a) => html`<li>${a.id}: ${a.summary}</li>`)}</ul>`}
      <h2>Most flapping</h2>
      ${data.mostFlapping.length === 0 ? html`<p class="empty">None raised more than once.</p>` : html`<ul>${data.mostFlapping.map((f) => html`<li>${f.id}: raised ${f.raises} times</li>`)}</ul>`}
      <h2>Longest not converged</h2>
      ${data.longestNotConverged.length === 0 ? html`<p class="empty">Every thing converged.</p>` : html`<ul>${data.longestNotConverged.map((t) => html`<li><a href=${thingHref(t.thing)}>${t.thing}</a>: desired pending for ${duration(t.pendingSeconds * 1000)}</li>`)}</ul>`}
      <h2>Jobs</h2>
      ${data.jobs === null ? html`<p class="empty">Jobs are not enabled on this node.</p>` : data.jobs.length === 0 ? html`<p class="empty">No jobs touched this system.</p>` : html`<ul>${data.jobs.map((j) => html`<li><a href=${jobHref(j.id)}>${j.id}</a> (${j.state}) by ${j.creator}: ${j.written} of ${j.things} things written</li>`)}</ul>`}`
    }
  `;
}
