import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { ago, formatTime, json } from "../format.ts";
import type { PageProps } from "../pages.ts";
import { DesiredEditor } from "../parts/desired-editor.ts";
import { presenceBadge } from "../parts/fleet-table.ts";
import { HistoryPanel } from "../parts/history.ts";
import { InventoryPanel } from "../parts/inventory.ts";
import { type Loaded, useLiveShadow } from "../parts/live-shadow.ts";
import { TelemetryPanel } from "../parts/telemetry.ts";
import { thingHref } from "../router.ts";
import { canEdit } from "../session.ts";

/**
 * One thing: its shadows side by side, live; desired editable by operators; presence; inventory
 * attributes (`?view=inventory` scrolls to them); telemetry; history.
 */
export function ThingPage({ route, session }: PageProps) {
  const thing = route.args[0] ?? "";
  const shadow = route.query.get("shadow") ?? "";
  const [named, setNamed] = useState<string[]>([]);
  // The document follows the page's one node stream (no stream of its own: docs/console.md).
  const { loaded, connection } = useLiveShadow(thing, shadow);

  useEffect(() => {
    api<{ results: string[] }>(`/things/${enc(thing)}/shadows`)
      .then((r) => setNamed(r.results))
      .catch(() => setNamed([]));
  }, [thing]);

  return html`
    <p class="crumbs"><a href="#/">Fleet</a> / ${thing}</p>
    <h1>${thing}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${presenceBadge(connection)}
      ${connection ? html` at site <strong>${connection.site}</strong> since ${formatTime(connection.since)} (${ago(connection.since)})` : null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${thingHref(thing)} aria-current=${shadow === "" ? "page" : undefined}>classic</a>
      ${named.map((n) => html`<a href=${thingHref(thing, n)} aria-current=${shadow === n ? "page" : undefined}>${n}</a>`)}
    </nav>
    ${body(loaded, thing, shadow, canEdit(session))}
    <${InventoryPanel} thing=${thing} editable=${canEdit(session)} focus=${route.query.get("view") === "inventory"} />
    <${TelemetryPanel} thing=${thing} />
    <${HistoryPanel} thing=${thing} shadow=${shadow} version=${loaded.kind === "ok" ? loaded.doc.version : undefined} />
  `;
}

function body(loaded: Loaded, thing: string, shadow: string, editable: boolean) {
  if (loaded.kind === "loading") return html`<p>Loading shadow…</p>`;
  if (loaded.kind === "error") return html`<p class="error" role="alert">${loaded.message}</p>`;
  const doc = loaded.kind === "ok" ? loaded.doc : undefined;
  return html`
    ${doc ? html`<p class="meta" data-testid="version">Version <strong>${doc.version}</strong></p>` : html`<p class="empty">This shadow does not exist yet.</p>`}
    ${
      doc
        ? html`<div class="panels">
          <${Panel} title="Desired" value=${doc.state.desired} id="desired" />
          <${Panel} title="Reported" value=${doc.state.reported} id="reported" />
          <${Panel} title="Delta" value=${doc.state.delta} id="delta" empty="In sync: nothing pending" />
          <${Panel} title="Metadata" value=${doc.metadata} id="metadata" />
          ${doc.conflicts ? html`<${Panel} title="Conflicts" value=${doc.conflicts} id="conflicts" />` : null}
        </div>`
        : null
    }
    ${editable ? html`<${DesiredEditor} key=${`${thing}/${shadow}`} thing=${thing} shadow=${shadow} doc=${doc} />` : null}
  `;
}

function Panel({ title, value, id, empty }: { title: string; value: unknown; id: string; empty?: string }) {
  return html`<section class="panel" aria-labelledby=${`h-${id}`} data-testid=${`panel-${id}`}>
    <h2 id=${`h-${id}`}>${title}</h2>
    ${value === undefined ? html`<p class="empty">${empty ?? "empty"}</p>` : html`<pre tabindex="0">${json(value)}</pre>`}
  </section>`;
}
