import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { ago } from "../format.ts";
import { type Connection, useNodeEvents } from "../live.ts";
import type { PageProps } from "../pages.ts";
import { thingHref } from "../router.ts";

export interface ThingRow {
  thing: string;
  shadows: string[];
  classic: boolean;
  version?: number;
  deltaLeaves: number;
  conflictLeaves: number;
  lastReport?: number;
  connection?: Connection;
}

const PAGE_SIZE = 50;

/**
 * Things in name order, a page at a time (cursor paging: as fast on page 200 as on page 1), filtered by
 * name on the node; rows on the page follow shadow and presence events live.
 */
export function FleetPage(_: PageProps) {
  const [filter, setFilter] = useState("");
  const [applied, setApplied] = useState("");
  const [cursors, setCursors] = useState<string[]>([""]);
  const [rows, setRows] = useState<ThingRow[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reload, setReload] = useState(0);
  /** Things created since this page was read (they may belong on it: offer a refresh, do not jump). */
  const [created, setCreated] = useState(0);
  const cursor = cursors[cursors.length - 1] ?? "";

  useEffect(() => {
    const t = setTimeout(() => {
      setApplied(filter.trim());
      setCursors([""]);
    }, 200);
    return () => clearTimeout(t);
  }, [filter]);

  useEffect(() => {
    let stale = false;
    api<{ things: ThingRow[]; nextCursor?: string }>(
      `/console/api/things?limit=${PAGE_SIZE}&cursor=${enc(cursor)}&filter=${enc(applied)}`,
    )
      .then((page) => {
        if (stale) return;
        setRows(page.things);
        setNext(page.nextCursor);
        setError(undefined);
        setCreated(0);
      })
      .catch((err: unknown) => !stale && setError(err instanceof ApiError ? err.message : String(err)));
    return () => {
      stale = true;
    };
  }, [cursor, applied, reload]);

  const first = useRef(true);
  useEffect(() => {
    if (rows && first.current) {
      first.current = false;
      performance.mark("umbra:fleet-rendered");
    }
  }, [rows]);

  useNodeEvents((e) => {
    if (e.type === "reconnected") return setReload((n) => n + 1);
    setRows((current) => {
      if (!current) return current;
      const i = current.findIndex((r) => r.thing === e.data.thing);
      if (i < 0) {
        if (e.type === "shadow" && e.data.shadow === "" && e.data.version === 1) setCreated((n) => n + 1);
        return current;
      }
      const row = current[i]!;
      let updated: ThingRow;
      if (e.type === "presence") updated = { ...row, connection: e.data.connection };
      else if (e.data.shadow !== "") return current;
      else if (e.data.deleted)
        updated = { ...row, classic: false, version: undefined, deltaLeaves: 0, conflictLeaves: 0 };
      else
        updated = {
          ...row,
          classic: true,
          version: e.data.version,
          deltaLeaves: e.data.deltaLeaves ?? 0,
          conflictLeaves: e.data.conflictLeaves ?? 0,
          lastReport: e.data.lastReport ?? row.lastReport,
        };
      const copy = current.slice();
      copy[i] = updated;
      return copy;
    });
  });

  return html`
    <h1>Fleet</h1>
    <div class="toolbar">
      <label class="filter">Filter by name
        <input type="search" value=${filter} placeholder="e.g. pdu-" onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
      </label>
      <span class="pager">
        <button disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>← Previous</button>
        <span aria-live="polite">Page ${cursors.length}</span>
        <button disabled=${next === undefined} onClick=${() => next !== undefined && setCursors([...cursors, next])}>Next →</button>
      </span>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      created > 0
        ? html`<p class="meta" role="status" data-testid="fleet-created">
            ${created} new ${created === 1 ? "thing" : "things"} since this page was read.
            <button onClick=${() => setReload((n) => n + 1)}>Refresh</button>
          </p>`
        : null
    }
    ${rows === undefined ? html`<p>Loading things…</p>` : html`<${FleetTable} rows=${rows} filtered=${applied !== ""} />`}
  `;
}

function FleetTable({ rows, filtered }: { rows: ThingRow[]; filtered: boolean }) {
  if (rows.length === 0)
    return html`<p class="empty">${filtered ? "No thing matches the filter." : "No things yet: a device creates its shadow with its first update."}</p>`;
  return html`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta and conflicts</caption>
    <thead><tr>
      <th scope="col">Thing</th><th scope="col">Presence</th><th scope="col">Site</th><th scope="col">Since</th>
      <th scope="col">Version</th><th scope="col">Delta</th><th scope="col">Conflicts</th>
      <th scope="col">Last report</th><th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.thing} data-thing=${r.thing}>
          <th scope="row"><a href=${thingHref(r.thing)}>${r.thing}</a></th>
          <td data-col="presence">${presenceBadge(r.connection)}</td>
          <td>${r.connection?.site ?? "—"}</td>
          <td>${ago(r.connection?.since)}</td>
          <td data-col="version">${r.version ?? "—"}</td>
          <td data-col="delta">${r.deltaLeaves > 0 ? html`<span class="badge warn">${r.deltaLeaves} pending</span>` : r.classic ? html`<span class="badge ok">in sync</span>` : "—"}</td>
          <td data-col="conflicts">${r.conflictLeaves > 0 ? html`<span class="badge bad">${r.conflictLeaves}</span>` : "0"}</td>
          <td>${ago(r.lastReport)}</td>
          <td>${r.shadows.length > 0 ? r.shadows.join(", ") : "—"}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

export function presenceBadge(c: Connection | undefined) {
  if (!c) return html`<span class="badge">never seen</span>`;
  return c.connected
    ? html`<span class="badge ok" data-connected="true">connected</span>`
    : html`<span class="badge off" data-connected="false">offline</span>`;
}
