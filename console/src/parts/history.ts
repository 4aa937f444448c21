import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { json } from "../format.ts";
import { errorText } from "../load.ts";
import { BlameTable } from "./blame.ts";
import { DiffView } from "./diff-view.ts";
import { type ApiRecord, author, opLines, shortTime, whereFrom } from "./history-format.ts";

interface HistoryPage {
  records: ApiRecord[];
  nextCursor?: string;
  horizon?: { version: number; time: string; pruned: number };
}

const PAGE = 20;

/**
 * The thing page's history (docs/history.md): the change timeline (who, which site, when,
 * clientToken, what changed), a diff between two versions, the shadow as it was, per-leaf blame.
 * Re-read when the shadow's version changes (the page follows the shadow's stream).
 */
export function HistoryPanel({
  thing,
  shadow,
  version,
}: {
  thing: string;
  shadow: string;
  version?: number;
}) {
  const [records, setRecords] = useState<ApiRecord[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [diff, setDiff] = useState<{ from: string; to: string } | undefined>();
  const [asWas, setAsWas] = useState<number | undefined>();
  const [view, setView] = useState<"timeline" | "blame">("timeline");
  const name = shadow ? `&name=${enc(shadow)}` : "";
  const base = `/things/${enc(thing)}/shadow`;

  useEffect(() => {
    let stale = false;
    api<HistoryPage>(`${base}/history?limit=${PAGE}${name}`)
      .then((p) => {
        if (stale) return;
        setRecords(p.records);
        setNext(p.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => !stale && setError(errorText(err)));
    return () => {
      stale = true;
    };
  }, [thing, shadow, version]);

  const older = () =>
    next &&
    api<HistoryPage>(`${base}/history?limit=${PAGE}${name}&cursor=${enc(next)}`)
      .then((p) => {
        setRecords((r) => [...(r ?? []), ...p.records]);
        setNext(p.nextCursor);
      })
      .catch((err: unknown) => setError(errorText(err)));

  return html`<section class="history" aria-labelledby="h-history" data-testid="history">
    <h2 id="h-history">History</h2>
    <nav class="tabs" aria-label="History views">
      <button aria-pressed=${view === "timeline"} onClick=${() => setView("timeline")}>Timeline</button>
      <button aria-pressed=${view === "blame"} onClick=${() => setView("blame")}>Blame</button>
    </nav>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${view === "blame" ? html`<${BlameTable} thing=${thing} shadow=${shadow} version=${version} />` : null}
    ${view === "timeline" && records === undefined && !error ? html`<p>Loading history…</p>` : null}
    ${
      view === "timeline" && records
        ? html`
          <${DiffForm} key=${`${thing}/${shadow}`} latest=${records[0]?.version} onDiff=${(from: string, to: string) => setDiff({ from, to })} />
          ${diff ? html`<${DiffView} thing=${thing} shadow=${shadow} from=${diff.from} to=${diff.to} onClose=${() => setDiff(undefined)} />` : null}
          ${asWas !== undefined ? html`<${AsItWas} thing=${thing} shadow=${shadow} version=${asWas} onClose=${() => setAsWas(undefined)} />` : null}
          ${records.length === 0 ? html`<p class="empty">No change recorded.</p>` : html`<${Timeline} records=${records} onDiff=${setDiff} onView=${setAsWas} />`}
          ${next ? html`<button onClick=${older}>Older changes</button>` : null}`
        : null
    }
  </section>`;
}

function Timeline(props: {
  records: ApiRecord[];
  onDiff: (d: { from: string; to: string }) => void;
  onView: (v: number) => void;
}) {
  const { records, onDiff, onView } = props;
  return html`<div class="scroll" tabindex="0"><table data-testid="history-table">
    <caption class="sr-only">Changes of this shadow, newest first</caption>
    <thead><tr>
      <th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th>
      <th scope="col">Client token</th><th scope="col">What changed</th><th scope="col"><span class="sr-only">Actions</span></th>
    </tr></thead>
    <tbody>${records.map((r, i) => {
      const previous = records[i + 1]?.version ?? (r.version > 1 ? r.version - 1 : undefined);
      return html`<tr key=${r.version} data-version=${r.version}>
        <th scope="row">${r.version}</th>
        <td>${shortTime(r.time)}</td>
        <td>${author(r)}</td>
        <td>${whereFrom(r)}</td>
        <td><code>${r.clientToken ?? "—"}</code></td>
        <td><ul class="ops">${opLines(r).map((l) => html`<li>${l}</li>`)}${r.kind === "delete" ? html`<li>shadow deleted</li>` : null}</ul></td>
        <td class="actions">
          <button onClick=${() => onView(r.version)}>View v${r.version}</button>
          ${previous !== undefined ? html`<button onClick=${() => onDiff({ from: String(previous), to: String(r.version) })}>Diff v${previous}…v${r.version}</button>` : null}
        </td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function DiffForm({ latest, onDiff }: { latest?: number; onDiff: (from: string, to: string) => void }) {
  const [from, setFrom] = useState(latest && latest > 1 ? String(latest - 1) : "1");
  const [to, setTo] = useState(latest ? String(latest) : "1");
  return html`<form class="toolbar" onSubmit=${(e: Event) => {
    e.preventDefault();
    onDiff(from.trim(), to.trim());
  }}>
    <label>Compare version or time <input name="from" value=${from} size="22" onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} /></label>
    <label>with <input name="to" value=${to} size="22" onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Show diff</button>
  </form>`;
}

function AsItWas(props: { thing: string; shadow: string; version: number; onClose: () => void }) {
  const { thing, shadow, version, onClose } = props;
  const [doc, setDoc] = useState<
    { state: { desired?: object; reported?: object; delta?: object } } | undefined
  >();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setDoc(undefined);
    api<typeof doc>(`/things/${enc(thing)}/shadow?at=${version}${shadow ? `&name=${enc(shadow)}` : ""}`)
      .then((d) => {
        setDoc(d);
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorText(err)));
  }, [thing, shadow, version]);
  return html`<section class="panel wide" aria-labelledby="h-aswas" data-testid="as-it-was">
    <h3 id="h-aswas">The shadow as it was at version ${version}</h3>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      doc
        ? html`<div class="panels">
          <div><h4>Desired</h4><pre tabindex="0">${json(doc.state.desired) || "empty"}</pre></div>
          <div><h4>Reported</h4><pre tabindex="0">${json(doc.state.reported) || "empty"}</pre></div>
          <div><h4>Delta</h4><pre tabindex="0">${json(doc.state.delta) || "in sync"}</pre></div>
        </div>`
        : error
          ? null
          : html`<p>Loading…</p>`
    }
    <button onClick=${onClose}>Close</button>
  </section>`;
}
