import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { Claim } from "../../../shared/jobs-claims.ts";
import { api, enc } from "../api.ts";
import { formatTime } from "../format.ts";
import { errorText, useApi } from "../load.ts";
import { canEdit, type Session } from "../session.ts";

/** Active maintenance claims (`GET /claims`); operators add and release them. */
export function ClaimsList({ session }: { session: Session }) {
  const { data, error, reload } = useApi<{ claims: Claim[] }>("/claims", 5000);
  const [problem, setProblem] = useState<string | undefined>();
  const [form, setForm] = useState({ things: "", reason: "", hours: "2" });
  const editable = canEdit(session);
  const act = (call: Promise<unknown>) =>
    call
      .then(() => {
        setProblem(undefined);
        reload();
      })
      .catch((err: unknown) => setProblem(errorText(err)));
  const add = (e: Event) => {
    e.preventDefault();
    act(
      api("/claims", {
        method: "POST",
        body: {
          things: form.things.split(/[\s,]+/).filter(Boolean),
          reason: form.reason,
          durationSeconds: Math.round(Number(form.hours) * 3600),
        },
      }),
    );
  };
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  return html`<section aria-labelledby="h-claims" data-testid="claims">
    <h2 id="h-claims">Maintenance claims</h2>
    ${error || problem ? html`<p class="error" role="alert">${problem ?? error}</p>` : null}
    ${
      !data
        ? null
        : data.claims.length === 0
          ? html`<p class="empty">No active claims.</p>`
          : html`<div class="scroll" tabindex="0"><table data-testid="claims-table">
            <caption class="sr-only">Active maintenance claims</caption>
            <thead><tr><th scope="col">Claim</th><th scope="col">Owner</th><th scope="col">Things and systems</th><th scope="col">Reason</th><th scope="col">Until</th>${editable ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
            <tbody>${data.claims.map(
              (c) => html`<tr key=${c.id} data-claim=${c.id}>
                <th scope="row">${c.id}</th><td>${c.owner}</td>
                <td>${[...c.things, ...c.systems.map((s) => `system ${s}`)].join(", ")}</td>
                <td>${c.reason}</td><td>${formatTime(c.until)}</td>
                ${editable ? html`<td><button onClick=${() => act(api(`/claims/${enc(c.id)}`, { method: "DELETE" }))}>Release</button></td>` : null}
              </tr>`,
            )}</tbody>
          </table></div>`
    }
    ${
      editable
        ? html`<form class="toolbar" onSubmit=${add}>
          <label>Things to claim <input name="claim-things" value=${form.things} onInput=${set("things")} placeholder="pdu-1, rack-a-*" /></label>
          <label>Reason <input name="claim-reason" value=${form.reason} onInput=${set("reason")} /></label>
          <label>Hours <input name="claim-hours" type="number" min="0.1" step="0.1" value=${form.hours} onInput=${set("hours")} /></label>
          <button type="submit">Add claim</button>
        </form>`
        : null
    }
  </section>`;
}
