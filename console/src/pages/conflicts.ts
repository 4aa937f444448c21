import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import { json } from "../format.ts";
import { useNodeEvents } from "../live.ts";
import { useApi } from "../load.ts";
import type { PageProps } from "../pages.ts";
import { thingHref } from "../router.ts";

interface ConflictEntry {
  thing: string;
  shadow: string;
  version: number;
  conflicts: object;
}

/**
 * Every shadow with open conflicts (`GET /fleet/conflicts`): the leaves two sites wrote concurrently,
 * with the losing values. Re-read when a change event touches conflicts.
 */
export function ConflictsPage(_: PageProps) {
  const { data, error, reload } = useApi<{ results: ConflictEntry[] }>("/fleet/conflicts");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useNodeEvents(
    (e) => {
      const thing = e.type === "reconnected" ? undefined : e.data.thing;
      const listed = data?.results.some((c) => c.thing === thing) ?? false;
      const relevant =
        e.type === "reconnected" || (e.type === "shadow" && ((e.data.conflictLeaves ?? 0) > 0 || listed));
      if (!relevant || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = undefined;
        reload();
      }, 300);
    },
    [data],
  );
  return html`
    <h1>Conflicts</h1>
    <p class="meta">Leaves that sites wrote concurrently: the shadow holds the winner, the losing values are listed here until someone writes the leaf again.</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !data
        ? error
          ? null
          : html`<p>Loading conflicts…</p>`
        : data.results.length === 0
          ? html`<p class="empty" data-testid="no-conflicts">No open conflicts.</p>`
          : html`<div class="scroll" tabindex="0"><table data-testid="conflicts-table">
            <caption class="sr-only">Shadows with open conflicts</caption>
            <thead><tr><th scope="col">Thing</th><th scope="col">Shadow</th><th scope="col">Version</th><th scope="col">Conflicting leaves</th></tr></thead>
            <tbody>${data.results.map(
              (c) => html`<tr key=${`${c.thing}/${c.shadow}`} data-thing=${c.thing}>
                <th scope="row"><a href=${thingHref(c.thing, c.shadow || undefined)}>${c.thing}</a></th>
                <td>${c.shadow || "classic"}</td>
                <td>${c.version}</td>
                <td><pre tabindex="0">${json(c.conflicts)}</pre></td>
              </tr>`,
            )}</tbody>
          </table></div>`
    }
  `;
}
