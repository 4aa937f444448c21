import { html } from "htm/preact";
import { ago } from "../format.ts";
import type { Connection } from "../live.ts";
import { inventoryHref, thingHref } from "../router.ts";

export interface ThingRow {
  thing: string;
  shadows: string[];
  classic: boolean;
  version?: number;
  deltaLeaves: number;
  conflictLeaves: number;
  connection?: Connection;
  /** The thing stopped matching the query since the page was read (it stays until a refresh). */
  gone?: boolean;
  /** Epoch seconds of the newest reported leaf. */
  lastReport?: number;
  attributes: Record<string, unknown>;
}

/** A row of `GET /things?fields=shadow.metadata.reported`. */
export interface ReportStamps {
  thingName: string;
  "shadow.metadata.reported"?: unknown;
}

/**
 * The newest timestamp in a metadata tree (epoch seconds), or undefined. The fleet index keeps a leaf's
 * timestamp as the number itself; the shadow API wraps it as `{timestamp}`: both are read.
 */
export function newestStamp(meta: unknown): number | undefined {
  if (typeof meta === "number") return meta;
  if (meta === null || typeof meta !== "object") return undefined;
  let newest: number | undefined;
  for (const v of Object.values(meta)) {
    const t = newestStamp(v);
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/** A record of `GET /things?fields=*` (docs/fleet.md). */
export interface FleetRecord {
  thingName: string;
  attributes?: Record<string, unknown>;
  shadows: Record<string, { state: { delta?: object }; version: number; conflicts?: object }>;
  connectivity?: { connected: boolean; timestamp?: number; since?: number; site: string };
}

export function leaves(v: unknown): number {
  if (v === null || typeof v !== "object") return v === undefined ? 0 : 1;
  let n = 0;
  for (const x of Object.values(v)) n += leaves(x);
  return n;
}

export function rowOf(r: FleetRecord): ThingRow {
  const classic = r.shadows[""];
  const c = r.connectivity;
  return {
    thing: r.thingName,
    shadows: Object.keys(r.shadows)
      .filter((n) => n !== "")
      .sort(),
    classic: classic !== undefined,
    version: classic?.version,
    deltaLeaves: leaves(classic?.state.delta),
    conflictLeaves: leaves(classic?.conflicts),
    connection: c ? { connected: c.connected, since: c.since ?? c.timestamp ?? 0, site: c.site } : undefined,
    attributes: r.attributes ?? {},
  };
}

export function attributeText(v: unknown): string {
  if (v === undefined) return "—";
  if (v !== null && typeof v === "object")
    return Object.entries(v)
      .map(([k, x]) => `${k}=${attributeText(x)}`)
      .join(" ");
  return String(v);
}

/** An attribute cell: its value, linked to the thing's inventory (who set it, the editor). */
function attributeCell(r: ThingRow, key: string) {
  const v = r.attributes[key];
  if (v === undefined) return "—";
  return html`<a href=${inventoryHref(r.thing)} title=${`Inventory of ${r.thing}`}>${attributeText(v)}</a>`;
}

/** The sortable columns: header, fleet-query field. */
const COLUMNS: [string, string][] = [
  ["Thing", "thingName"],
  ["Presence", "connectivity.connected"],
  ["Site", "connectivity.site"],
  ["Since", "connectivity.timestamp"],
  ["Version", "shadow.version"],
  ["Delta", "shadow.hasDelta"],
  ["Conflicts", "conflicts"],
];

export interface SortState {
  field: string;
  descending: boolean;
}

export function FleetTable(props: {
  rows: ThingRow[];
  attributeKeys: string[];
  sort: SortState;
  onSort: (field: string) => void;
}) {
  const { rows, attributeKeys, sort, onSort } = props;
  const header = (title: string, field: string) => {
    const active = sort.field === field;
    return html`<th scope="col" aria-sort=${active ? (sort.descending ? "descending" : "ascending") : undefined}>
      <button class="sort" onClick=${() => onSort(field)}>${title}${active ? (sort.descending ? " ▼" : " ▲") : ""}</button>
    </th>`;
  };
  return html`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta, conflicts and attributes</caption>
    <thead><tr>
      ${COLUMNS.map(([t, f]) => header(t, f))}
      <th scope="col">Last report</th>
      ${attributeKeys.map((k) => header(k, `attributes.${k}`))}
      <th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.thing} data-thing=${r.thing}>
          <th scope="row"><a href=${thingHref(r.thing)}>${r.thing}</a>${r.gone ? html` <span class="badge off" data-testid="gone">no longer matches</span>` : null}</th>
          <td data-col="presence">${presenceBadge(r.connection)}</td>
          <td>${r.connection?.site ?? "—"}</td>
          <td>${ago(r.connection?.since)}</td>
          <td data-col="version">${r.version ?? "—"}</td>
          <td data-col="delta">${r.deltaLeaves > 0 ? html`<span class="badge warn">${r.deltaLeaves} pending</span>` : r.classic ? html`<span class="badge ok">in sync</span>` : "—"}</td>
          <td data-col="conflicts">${r.conflictLeaves > 0 ? html`<span class="badge bad">${r.conflictLeaves}</span>` : "0"}</td>
          <td data-col="last-report">${ago(r.lastReport)}</td>
          ${attributeKeys.map((k) => html`<td data-col=${`attr-${k}`}>${attributeCell(r, k)}</td>`)}
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
