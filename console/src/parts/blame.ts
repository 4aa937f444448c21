import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import { enc } from "../api.ts";
import { useApi } from "../load.ts";
import { type ApiBlameLine, author, shortTime, whereFrom } from "./history-format.ts";

/** `GET /things/{t}/shadow/blame`: per current leaf, the change that last wrote it. */
export function BlameTable({ thing, shadow, version }: { thing: string; shadow: string; version?: number }) {
  const name = shadow ? `?name=${enc(shadow)}` : "";
  const { data, error, reload } = useApi<{ desired: ApiBlameLine[]; reported: ApiBlameLine[] }>(
    `/things/${enc(thing)}/shadow/blame${name}`,
  );
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current !== version) reload();
    seen.current = version;
  }, [version]);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!data) return html`<p>Loading blame…</p>`;
  const lines = [
    ...(data.desired ?? []).map((l) => ({ section: "desired", l })),
    ...(data.reported ?? []).map((l) => ({ section: "reported", l })),
  ];
  if (lines.length === 0) return html`<p class="empty">No leaves.</p>`;
  return html`<div class="scroll" tabindex="0"><table data-testid="blame-table">
    <caption class="sr-only">Who last wrote each leaf</caption>
    <thead><tr><th scope="col">Leaf</th><th scope="col">Value</th><th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th><th scope="col">Client token</th></tr></thead>
    <tbody>${lines.map(({ section, l }) => {
      const leaf = [section, ...l.path].join(".");
      const c = l.change;
      return html`<tr key=${leaf} data-leaf=${leaf}>
        <th scope="row"><code>${leaf}</code></th>
        <td>${JSON.stringify(l.value)}</td>
        ${
          c
            ? html`<td>${c.version}</td><td>${shortTime(c.time)}</td><td>${author(c)}</td><td>${whereFrom(c)}</td><td><code>${c.clientToken ?? "—"}</code></td>`
            : html`<td colspan="5">${l.pruned ? "pruned by retention" : "—"}</td>`
        }
      </tr>`;
    })}</tbody>
  </table></div>`;
}
