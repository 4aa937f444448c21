import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { DryRun } from "../../../shared/jobs-plan.ts";
import { api } from "../api.ts";
import { errorText } from "../load.ts";
import type { JobSummary } from "./job-types.ts";

type TargetKind = "q" | "system" | "things";

const show = (v: unknown) => (v === undefined ? "absent" : JSON.stringify(v));

/** The job document the form describes, or a message saying what is wrong with it. */
function jobDocument(f: Record<string, string>, confirm: boolean): object | string {
  let body: unknown;
  try {
    body = JSON.parse(f.body || "");
  } catch {
    return `The ${f.kind} is not valid JSON`;
  }
  const value = f.target?.trim() ?? "";
  if (!value) return "Name a target";
  const target =
    f.targetKind === "things"
      ? { things: value.split(/[\s,]+/).filter(Boolean) }
      : { [f.targetKind as TargetKind]: value };
  const doc: Record<string, unknown> = {
    target,
    [f.kind === "command" ? "command" : "patch"]: body,
    confirm,
  };
  if (f.shadow?.trim()) doc.shadow = f.shadow.trim();
  if (f.description?.trim()) doc.description = f.description.trim();
  if (f.batchSize?.trim()) doc.rollout = { batchSize: Number(f.batchSize) };
  return doc;
}

/** Operators: describe a job, see the per-thing plan of a dry run, then start it. */
export function DryRunForm() {
  const [f, setF] = useState<Record<string, string>>({
    targetKind: "q",
    kind: "patch",
    body: "{}",
    batchSize: "5",
  });
  const [confirm, setConfirm] = useState(false);
  const [plan, setPlan] = useState<{ doc: object; result: DryRun } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (k: string) => (e: Event) => {
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
    setPlan(undefined);
  };

  const dryRun = (e: Event) => {
    e.preventDefault();
    const doc = jobDocument(f, confirm);
    if (typeof doc === "string") return setError(doc);
    setBusy(true);
    api<DryRun>("/jobs/dry-run", { method: "POST", body: doc })
      .then((result) => {
        setPlan({ doc, result });
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorText(err)))
      .finally(() => setBusy(false));
  };
  const start = () => {
    if (!plan) return;
    setBusy(true);
    api<JobSummary>("/jobs", { method: "POST", body: plan.doc })
      .then((job) => {
        location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
      })
      .catch((err: unknown) => setError(errorText(err)))
      .finally(() => setBusy(false));
  };

  return html`<section class="panel wide" aria-labelledby="h-dry-run" data-testid="dry-run">
    <h2 id="h-dry-run">Plan a job</h2>
    <form class="job-form" onSubmit=${dryRun}>
      <label>Target
        <select aria-label="Target kind" value=${f.targetKind} onChange=${set("targetKind")}>
          <option value="q">fleet query</option><option value="system">system</option><option value="things">things (comma-separated)</option>
        </select>
      </label>
      <label class="grow">Target value <input name="target" value=${f.target ?? ""} onInput=${set("target")} /></label>
      <label>Write
        <select aria-label="What to write" value=${f.kind} onChange=${set("kind")}><option value="patch">desired patch</option><option value="command">one-shot command</option></select>
      </label>
      <label class="grow">Desired JSON <textarea name="body" rows="3" spellcheck=${false} value=${f.body} onInput=${set("body")}></textarea></label>
      <label>Named shadow <input name="shadow" value=${f.shadow ?? ""} onInput=${set("shadow")} placeholder="classic" /></label>
      <label>Batch size <input name="batchSize" type="number" min="1" value=${f.batchSize} onInput=${set("batchSize")} /></label>
      <label class="grow">Description <input name="description" value=${f.description ?? ""} onInput=${set("description")} /></label>
      <label class="check"><input type="checkbox" checked=${confirm} onChange=${(e: Event) => {
        setConfirm((e.target as HTMLInputElement).checked);
        setPlan(undefined);
      }} /> Confirm destructive values</label>
      <button type="submit" disabled=${busy}>Dry run</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${plan ? html`<${PlanView} result=${plan.result} busy=${busy} onStart=${start} />` : null}
  </section>`;
}

function PlanView({ result, busy, onStart }: { result: DryRun; busy: boolean; onStart: () => void }) {
  const refused = Object.entries(result.refused);
  return html`<div data-testid="plan">
    <p role="status">
      ${result.things} things: <strong>${result.wouldChange}</strong> would change, ${result.wouldWait} already desired (waiting for the device), ${result.noop} nothing to do${refused.length > 0 ? `, refused: ${refused.map(([k, n]) => `${n} ${k}`).join(", ")}` : ""}.
    </p>
    ${result.confirmRequired ? html`<p class="error">Destructive values (${result.destructive.join(", ")}): tick “Confirm destructive values” to run this job.</p>` : null}
    <div class="scroll" tabindex="0"><table data-testid="plan-table">
      <caption class="sr-only">What the job would do to each thing</caption>
      <thead><tr><th scope="col">Thing</th><th scope="col">Outcome</th><th scope="col">Leaves: desired now → written (reported now)</th></tr></thead>
      <tbody>${result.plans.map(
        (p) => html`<tr key=${p.thing} data-thing=${p.thing}>
          <th scope="row">${p.thing}</th>
          <td data-col="outcome" class="wrap">${p.refused ? html`<span class="badge bad">refused: ${p.refused.code}</span> ${p.refused.reason}` : p.changes.length > 0 ? html`<span class="badge warn">would write</span>` : p.pending.length > 0 ? "waiting for the device" : html`<span class="badge ok">no change</span>`}</td>
          <td><ul class="ops">${[...p.changes, ...p.pending].map((c) => html`<li><code>${c.path}</code>: ${show(c.desired)} → ${show(c.to)} (reported ${show(c.reported)})</li>`)}</ul></td>
        </tr>`,
      )}</tbody>
    </table></div>
    <button class="primary" disabled=${busy || result.confirmRequired || result.things === 0} onClick=${onStart}>Start this job</button>
  </div>`;
}
