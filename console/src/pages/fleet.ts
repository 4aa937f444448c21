import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { useNodeEvents } from "../live.ts";
import { errorText } from "../load.ts";
import type { PageProps } from "../pages.ts";
import { useFleetStream } from "../parts/fleet-stream.ts";
import {
  type FleetRecord,
  FleetTable,
  newestStamp,
  type ReportStamps,
  rowOf,
  type SortState,
  type ThingRow,
} from "../parts/fleet-table.ts";

export { presenceBadge } from "../parts/fleet-table.ts";

const PAGE_SIZE = 50;
const NAME_WORD = /^[A-Za-z0-9_.$/+-]*$/;

interface QueryProblem {
  message: string;
  position?: number;
  query: string;
}

/** The fleet query the page sends: the query box AND the name filter (a glob on thingName). */
export function combinedQuery(query: string, name: string): string | { problem: string } {
  const parts: string[] = [];
  if (query.trim()) parts.push(`(${query.trim()})`);
  if (name.trim()) {
    if (!NAME_WORD.test(name.trim())) return { problem: "A name filter is letters, digits and _ . $ / + -" };
    parts.push(`thingName:*${name.trim()}*`);
  }
  return parts.join(" AND ");
}

/**
 * Things through the fleet query (docs/fleet.md): a query box, a name filter, sort by any column,
 * attribute columns, the total count, keyset paging (as fast on page 200 as on page 1); rows on the
 * page follow shadow and presence events live.
 */
export function FleetPage({ route }: PageProps) {
  const [query, setQuery] = useState(route.query.get("q") ?? "");
  const [name, setName] = useState("");
  const [applied, setApplied] = useState({ query, name });
  const [sort, setSort] = useState<SortState>({ field: "thingName", descending: false });
  const [cursors, setCursors] = useState<string[]>([""]);
  const [rows, setRows] = useState<ThingRow[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [total, setTotal] = useState<number | undefined>();
  const [partial, setPartial] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [problem, setProblem] = useState<QueryProblem | undefined>();
  const [reload, setReload] = useState(0);
  /** Things created since this page was read (they may belong on it: offer a refresh, do not jump). */
  const [created, setCreated] = useState(0);
  const cursor = cursors[cursors.length - 1] ?? "";

  useEffect(() => {
    const q = route.query.get("q");
    if (q !== null) {
      setQuery(q);
      setApplied((a) => ({ ...a, query: q }));
      setCursors([""]);
    }
  }, [route.query.toString()]);

  useEffect(() => {
    // Only a changed filter goes back to page 1: this also runs at mount, and an unconditional reset
    // 200 ms later threw a reader who had already paged forward back to page 1.
    if (name === applied.name) return;
    const t = setTimeout(() => {
      setApplied((a) => (a.name === name ? a : { ...a, name }));
      setCursors([""]);
    }, 200);
    return () => clearTimeout(t);
  }, [name]);

  useEffect(() => {
    let stale = false;
    const q = combinedQuery(applied.query, applied.name);
    if (typeof q !== "string") {
      setProblem({ message: q.problem, query: applied.name });
      return;
    }
    const sortParam = `${sort.descending ? "-" : ""}${sort.field}`;
    const read = api<{ results: FleetRecord[]; nextCursor?: string; partial?: { reason: string } }>(
      `/things?q=${enc(q)}&sort=${enc(sortParam)}&fields=*&limit=${PAGE_SIZE}&cursor=${enc(cursor)}`,
    );
    const count = api<{ count: number }>(`/things/count?q=${enc(q)}`);
    // The records carry no metadata: the same page again, with only the reported timestamps.
    const reports = api<{ results: ReportStamps[] }>(
      `/things?q=${enc(q)}&sort=${enc(sortParam)}&fields=shadow.metadata.reported&limit=${PAGE_SIZE}&cursor=${enc(cursor)}`,
    );
    Promise.all([read, count, reports])
      .then(([page, c, stamps]) => {
        if (stale) return;
        const last = new Map(
          stamps.results.map((r) => [r.thingName, newestStamp(r["shadow.metadata.reported"])]),
        );
        setRows(page.results.map((r) => ({ ...rowOf(r), lastReport: last.get(r.thingName) })));
        setNext(page.nextCursor);
        setTotal(c.count);
        setPartial(page.partial?.reason);
        setError(undefined);
        setProblem(undefined);
        setCreated(0);
      })
      .catch((err: unknown) => {
        if (stale) return;
        const body =
          err instanceof ApiError
            ? (err.body as { error?: string; position?: number; problem?: string })
            : undefined;
        if (body?.error === "query_invalid") {
          // The position counts in the combined query; the query box's text starts after "(".
          const pos = body.position === undefined ? undefined : body.position - 1;
          setProblem({ message: body.problem ?? errorText(err), position: pos, query: applied.query });
        } else setError(errorText(err));
      });
    return () => {
      stale = true;
    };
  }, [applied, sort, cursor, reload]);

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

  // Whole records of the rows shown, as they change (attributes too), and rows that stop matching;
  // the stream's query names the rows shown, so a page hears of 50 things, not of the whole fleet.
  const combined = combinedQuery(applied.query, applied.name);
  const shown = (rows ?? []).map((r) => r.thing).join("\n");
  useFleetStream(typeof combined === "string" ? streamQuery(combined, shown) : undefined, {
    match: (thing, record) =>
      setRows((current) =>
        current?.map((r) => (r.thing === thing ? { ...rowOf(record), lastReport: r.lastReport } : r)),
      ),
    unmatch: (thing) =>
      setRows((current) => current?.map((r) => (r.thing === thing ? { ...r, gone: true } : r))),
  });

  const attributeKeys = [...new Set((rows ?? []).flatMap((r) => Object.keys(r.attributes)))].sort();
  const onSort = (field: string) => {
    setSort((s) => ({ field, descending: s.field === field ? !s.descending : false }));
    setCursors([""]);
  };

  return html`
    <h1>Fleet</h1>
    <form class="toolbar query" onSubmit=${(e: Event) => {
      e.preventDefault();
      setApplied((a) => ({ ...a, query }));
      setCursors([""]);
    }}>
      <label class="grow">Fleet query
        <input type="search" name="q" value=${query} placeholder="attributes.type:pdu AND shadow.reported.temp > 30"
          aria-describedby="query-help" onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Run query</button>
      <label class="filter">Filter by name
        <input type="search" value=${name} placeholder="e.g. pdu-" onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      </label>
    </form>
    <p id="query-help" class="meta">The fleet query language (docs/fleet.md): <code>field:value</code>, <code>></code>, <code>[a TO b]</code>, AND, OR, NOT; click a column to sort.</p>
    ${problem ? html`<div class="error" role="alert" data-testid="query-error">${queryProblem(problem)}</div>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${partial ? html`<p class="meta" role="status">Partial answer: ${partial}</p>` : null}
    <div class="toolbar">
      <span data-testid="fleet-total" aria-live="polite">${total === undefined ? "" : `${total} ${total === 1 ? "thing" : "things"}`}</span>
      <span class="pager">
        <button disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>← Previous</button>
        <span aria-live="polite">Page ${cursors.length}</span>
        <button disabled=${next === undefined} onClick=${() => next !== undefined && setCursors([...cursors, next])}>Next →</button>
      </span>
    </div>
    ${
      created > 0
        ? html`<p class="meta" role="status" data-testid="fleet-created">
            ${created} new ${created === 1 ? "thing" : "things"} since this page was read.
            <button onClick=${() => setReload((n) => n + 1)}>Refresh</button>
          </p>`
        : null
    }
    ${
      rows === undefined
        ? html`<p>Loading things…</p>`
        : rows.length === 0
          ? html`<p class="empty">${applied.query || applied.name ? "No thing matches." : "No things yet: a device creates its shadow with its first update."}</p>`
          : html`<${FleetTable} rows=${rows} attributeKeys=${attributeKeys} sort=${sort} onSort=${onSort} />`
    }
  `;
}

/** The page's query narrowed to the things shown (undefined when nothing is shown). */
export function streamQuery(q: string, shown: string): string | undefined {
  if (!shown) return undefined;
  const names = shown
    .split("\n")
    .map((n) => `thingName:${JSON.stringify(n)}`)
    .join(" OR ");
  const narrowed = q ? `(${q}) AND (${names})` : names;
  // The grammar takes at most 4096 characters: with very long names, follow the whole query instead.
  return narrowed.length <= 4096 ? narrowed : q;
}

function queryProblem(p: QueryProblem) {
  if (p.position === undefined || p.position < 0 || p.position > p.query.length)
    return html`<p>${p.message}</p>`;
  return html`<p>At character ${p.position + 1}: ${p.message}</p>
    <pre class="caret" aria-hidden="true">${p.query}\n${" ".repeat(p.position)}^</pre>`;
}
