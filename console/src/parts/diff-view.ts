import { html } from "htm/preact";
import { enc } from "../api.ts";
import { useApi } from "../load.ts";
import { type ApiLeafChange, leafName } from "./history-format.ts";

interface DiffAnswer {
  from: { version: number; exists: boolean };
  to: { version: number; exists: boolean };
  desired: ApiLeafChange[];
  reported: ApiLeafChange[];
}

const show = (v: unknown) => (v === undefined ? html`<span class="empty">absent</span>` : JSON.stringify(v));

/** `GET /things/{t}/shadow/diff?from=&to=`: one line per leaf that differs. */
export function DiffView(props: {
  thing: string;
  shadow: string;
  from: string;
  to: string;
  onClose: () => void;
}) {
  const { thing, shadow, from, to, onClose } = props;
  const name = shadow ? `&name=${enc(shadow)}` : "";
  const { data, error } = useApi<DiffAnswer>(
    `/things/${enc(thing)}/shadow/diff?from=${enc(from)}&to=${enc(to)}${name}`,
  );
  const lines = data
    ? [
        ...data.desired.map((c) => ({ leaf: leafName("desired", c.path), c })),
        ...data.reported.map((c) => ({ leaf: leafName("reported", c.path), c })),
      ]
    : [];
  return html`<section class="panel wide" aria-labelledby="h-diff" data-testid="diff">
    <h3 id="h-diff">Diff ${data ? `v${data.from.version} → v${data.to.version}` : `${from} → ${to}`}</h3>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      data
        ? lines.length === 0
          ? html`<p class="empty">No leaf differs.</p>`
          : html`<table><caption class="sr-only">Leaves that differ</caption>
            <thead><tr><th scope="col">Leaf</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
            <tbody>${lines.map(({ leaf, c }) => html`<tr key=${leaf}><th scope="row"><code>${leaf}</code></th><td class="before">${show(c.before)}</td><td class="after">${show(c.after)}</td></tr>`)}</tbody>
          </table>`
        : error
          ? null
          : html`<p>Loading…</p>`
    }
    <button onClick=${onClose}>Close</button>
  </section>`;
}
