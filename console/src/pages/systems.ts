import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { duration } from "../format.ts";
import { errorText, useApi } from "../load.ts";
import type { PageProps } from "../pages.ts";

export interface Rollup {
  name: string;
  things: number;
  connected: number;
  notConverged: number;
  oldestDeltaSeconds: number;
  conflicts: number;
  unreachable: number;
  alarms?: { open: number; unacknowledged: number; shelved: number };
  /** Subsystems down to the depth asked, then just `{name}`. */
  systems: (Rollup | { name: string })[];
}

interface SystemSpec {
  name: string;
  things: string[];
  systems: string[];
  query?: string;
  description?: string;
}

/** Roll-ups change with every shadow; the node has no roll-up stream, so the page re-reads. */
const POLL_MS = 5000;
const DEPTH = 8;

export const systemHref = (name: string) => `#/systems/${enc(name)}`;
export const fleetOfSystem = (name: string) =>
  `#/?q=${enc(`systems:${/^[A-Za-z0-9_.$/+-]+$/.test(name) ? name : JSON.stringify(name)}`)}`;

/** `#/systems`: the tree of systems with roll-ups; `#/systems/{name}`: one system, drill-down. */
export function SystemsPage({ route }: PageProps) {
  const name = route.args[0];
  return name ? html`<${SystemDetail} key=${name} name=${name} />` : html`<${SystemsTree} />`;
}

function SystemsTree() {
  const list = useApi<{ results: SystemSpec[] }>("/systems", POLL_MS);
  const [trees, setTrees] = useState<Rollup[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (!list.data) return;
    const specs = list.data.results;
    const contained = new Set(specs.flatMap((s) => s.systems));
    const roots = specs.filter((s) => !contained.has(s.name));
    Promise.all(roots.map((s) => api<Rollup>(`/systems/${enc(s.name)}/rollup?depth=${DEPTH}`)))
      .then((r) => {
        setTrees(r);
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorText(err)));
  }, [list.data]);
  const problem = list.error ?? error;
  return html`
    <h1>Systems</h1>
    <p class="meta">Things, connected, not converged, conflicts, unreachable and open alarms below each system (a thing counts once). Refreshed every ${POLL_MS / 1000} s.</p>
    ${problem ? html`<p class="error" role="alert">${problem}</p>` : null}
    ${
      trees === undefined
        ? problem
          ? null
          : html`<p>Loading systems…</p>`
        : trees.length === 0
          ? html`<p class="empty">No systems yet: <code>umbra systems set &lt;name&gt; …</code> (docs/fleet.md).</p>`
          : html`<${RollupTable} rows=${trees.flatMap((t) => flatten(t, 0))} caption="Systems and their roll-ups" />`
    }
  `;
}

function flatten(
  r: Rollup | { name: string },
  level: number,
): { r: Rollup | { name: string }; level: number }[] {
  const subs = "systems" in r ? r.systems : [];
  return [{ r, level }, ...subs.flatMap((s) => flatten(s, level + 1))];
}

export function RollupTable({
  rows,
  caption,
}: {
  rows: { r: Rollup | { name: string }; level: number }[];
  caption: string;
}) {
  return html`<div class="scroll" tabindex="0"><table data-testid="systems-table">
    <caption class="sr-only">${caption}</caption>
    <thead><tr>
      <th scope="col">System</th><th scope="col">Things</th><th scope="col">Connected</th><th scope="col">Not converged</th>
      <th scope="col">Oldest delta</th><th scope="col">Conflicts</th><th scope="col">Unreachable</th><th scope="col">Open alarms</th>
    </tr></thead>
    <tbody>${rows.map(({ r, level }) => {
      const full = "things" in r ? r : undefined;
      return html`<tr key=${`${level}/${r.name}`} data-system=${r.name}>
        <th scope="row" style=${`padding-left: ${0.5 + level * 1.25}rem`}><a href=${systemHref(r.name)}>${level > 0 ? "└ " : ""}${r.name}</a></th>
        ${
          full
            ? html`<td data-col="things">${full.things}</td><td data-col="connected">${full.connected}</td>
              <td data-col="notConverged">${full.notConverged > 0 ? html`<span class="badge warn">${full.notConverged}</span>` : 0}</td>
              <td>${full.oldestDeltaSeconds > 0 ? duration(full.oldestDeltaSeconds * 1000) : "—"}</td>
              <td data-col="conflicts">${full.conflicts > 0 ? html`<span class="badge bad">${full.conflicts}</span>` : 0}</td>
              <td data-col="unreachable">${full.unreachable > 0 ? html`<span class="badge bad">${full.unreachable}</span>` : 0}</td>
              <td data-col="alarms">${full.alarms ? (full.alarms.open > 0 ? html`<a class="badge bad" href=${`#/alarms?system=${enc(r.name)}`}>${full.alarms.open}</a>` : 0) : "—"}</td>`
            : html`<td colspan="7">deeper than shown: open the system</td>`
        }
      </tr>`;
    })}</tbody>
  </table></div>`;
}

function SystemDetail({ name }: { name: string }) {
  const spec = useApi<SystemSpec>(`/systems/${enc(name)}`, POLL_MS);
  const rollup = useApi<Rollup>(`/systems/${enc(name)}/rollup?depth=1`, POLL_MS);
  const problem = spec.error ?? rollup.error;
  return html`
    <p class="crumbs"><a href="#/systems">Systems</a> / ${name}</p>
    <h1>${name}</h1>
    ${problem ? html`<p class="error" role="alert">${problem}</p>` : null}
    ${spec.data?.description ? html`<p>${spec.data.description}</p>` : null}
    <p class="links">
      <a href=${fleetOfSystem(name)}>Its things in the fleet</a> ·
      <a href=${`#/alarms?system=${enc(name)}`}>Its alarms</a> ·
      <a href=${`#/review/${enc(name)}`}>Review</a>
    </p>
    ${rollup.data ? html`<${RollupTable} rows=${flatten(rollup.data, 0)} caption=${`Roll-up of ${name} and its subsystems`} />` : problem ? null : html`<p>Loading…</p>`}
    ${
      spec.data
        ? html`<dl class="facts">
          <dt>Query</dt><dd>${spec.data.query ? html`<code>${spec.data.query}</code>` : "—"}</dd>
          <dt>Things named</dt><dd>${spec.data.things.length > 0 ? spec.data.things.join(", ") : "—"}</dd>
          <dt>Subsystems</dt><dd>${spec.data.systems.length > 0 ? spec.data.systems.map((s, i) => html`${i > 0 ? ", " : ""}<a href=${systemHref(s)}>${s}</a>`) : "—"}</dd>
        </dl>`
        : null
    }
  `;
}
