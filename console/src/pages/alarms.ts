import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { ago, formatTime } from "../format.ts";
import { errorText, useApi } from "../load.ts";
import type { PageProps } from "../pages.ts";
import { type Alarm, alarmPath, severityClass } from "../parts/alarm-types.ts";
import { thingHref } from "../router.ts";
import { canEdit } from "../session.ts";

/** Alarms reach HTTP clients by reading (the live feed is MQTT, `umbra/alarms/#`): re-read often. */
const POLL_MS = 3000;
const STATES = ["open", "raised", "acknowledged", "cleared", "all"];

const setHashQuery = (system: string, state: string) => {
  const q = new URLSearchParams();
  if (system) q.set("system", system);
  if (state !== "open") q.set("state", state);
  location.hash = `#/alarms${q.size > 0 ? `?${q}` : ""}`;
};

/** Alarms filtered by system and state; operators acknowledge, shelve and clear. */
export function AlarmsPage({ route, session }: PageProps) {
  const system = route.query.get("system") ?? "";
  const state = route.query.get("state") ?? "open";
  const alarms = useApi<{ results: Alarm[] }>(
    `/alarms?state=${enc(state)}${system ? `&system=${enc(system)}` : ""}`,
    POLL_MS,
  );
  const systems = useApi<{ results: { name: string }[] }>("/systems");
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const editable = canEdit(session);

  const act = (a: Alarm, action: "ack" | "shelve" | "clear", body?: object) => {
    setBusy(a.id);
    api(`${alarmPath(a)}/${action}`, { method: "POST", body })
      .then(() => {
        setProblem(undefined);
        alarms.reload();
      })
      .catch((err: unknown) => setProblem(errorText(err)))
      .finally(() => setBusy(undefined));
  };

  const error = problem ?? alarms.error;
  return html`
    <h1>Alarms</h1>
    <div class="toolbar">
      <label>System
        <select aria-label="System" value=${system} onChange=${(e: Event) => setHashQuery((e.target as HTMLSelectElement).value, state)}>
          <option value="">every system</option>
          ${(systems.data?.results ?? []).map((s) => html`<option value=${s.name}>${s.name}</option>`)}
          ${system && !systems.data?.results.some((s) => s.name === system) ? html`<option value=${system}>${system}</option>` : null}
        </select>
      </label>
      <label>State
        <select aria-label="State" value=${state} onChange=${(e: Event) => setHashQuery(system, (e.target as HTMLSelectElement).value)}>
          ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      ${system ? html`<a href=${`#/review/${enc(system)}`}>Review of ${system}</a>` : null}
      <span class="meta">Refreshed every ${POLL_MS / 1000} s.</span>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !alarms.data
        ? alarms.error
          ? null
          : html`<p>Loading alarms…</p>`
        : alarms.data.results.length === 0
          ? html`<p class="empty" data-testid="no-alarms">No ${state === "all" ? "" : `${state} `}alarms${system ? ` in ${system}` : ""}.</p>`
          : html`<${AlarmTable} alarms=${alarms.data.results} editable=${editable} busy=${busy} act=${act} />`
    }
  `;
}

export function AlarmTable(props: {
  alarms: Alarm[];
  editable: boolean;
  busy?: string;
  act?: (a: Alarm, action: "ack" | "shelve" | "clear", body?: object) => void;
}) {
  const { alarms, editable, busy, act } = props;
  const now = Date.now();
  return html`<div class="scroll" tabindex="0"><table data-testid="alarms-table">
    <caption class="sr-only">Alarms, newest raise first</caption>
    <thead><tr>
      <th scope="col">Alarm</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Thing</th>
      <th scope="col">Summary</th><th scope="col">Raised</th><th scope="col">Fired</th><th scope="col">Acknowledged</th>
      ${editable && act ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}
    </tr></thead>
    <tbody>${alarms.map((a) => {
      const shelved = a.shelvedUntil !== undefined && a.shelvedUntil > now;
      return html`<tr key=${a.id} data-alarm=${a.id}>
        <th scope="row">${a.system}/${a.rule}</th>
        <td><span class=${severityClass(a.severity)}>${a.severity}</span></td>
        <td data-col="state" class="wrap">${a.state}${shelved ? html`<br /><span class="badge off">shelved until ${formatTime(a.shelvedUntil! / 1000)}</span>` : null}</td>
        <td><a href=${thingHref(a.thing)}>${a.thing}</a></td>
        <td class="wrap summary">${a.summary}${a.value !== undefined ? ` (${JSON.stringify(a.value)})` : ""}</td>
        <td title=${formatTime(a.raisedAt / 1000)}>${ago(a.raisedAt / 1000, now)}</td>
        <td>${a.fireCount}×</td>
        <td>${a.ackedBy ? `${a.ackedBy}, ${ago((a.ackedAt ?? 0) / 1000, now)}` : "—"}</td>
        ${
          editable && act
            ? html`<td class="actions">${
                a.state === "cleared"
                  ? null
                  : html`
                ${a.state === "raised" ? html`<button disabled=${busy === a.id} onClick=${() => act(a, "ack")}>Acknowledge</button>` : null}
                <button disabled=${busy === a.id} onClick=${() => act(a, "shelve", { for: "2h" })}>Shelve 2 h</button>
                <button class="danger" disabled=${busy === a.id} onClick=${() => act(a, "clear")}>Clear</button>`
              }</td>`
            : null
        }
      </tr>`;
    })}</tbody>
  </table></div>`;
}
