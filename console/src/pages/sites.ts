import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { LinkStats } from "../../../shared/relay/link-stats.ts";
import { ApiError, api } from "../api.ts";
import { ago, bytes, duration } from "../format.ts";
import type { PageProps } from "../pages.ts";

/** How often the page re-reads `/peers` (the relay has no event stream of its own yet). */
const POLL_MS = 2000;

/** Relay peers of this node: parents it dials and children that dial it, with lag and backlog. */
export function SitesPage(_: PageProps) {
  const [data, setData] = useState<{ site: string; peers: LinkStats[] } | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<{ site: string; peers: LinkStats[] }>("/peers")
        .then((d) => {
          if (stop) return;
          setData(d);
          setError(undefined);
        })
        .catch((err: unknown) => !stop && setError(err instanceof ApiError ? err.message : String(err)))
        .finally(() => {
          if (!stop) timer = setTimeout(load, POLL_MS);
        });
    load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);

  return html`
    <h1>Sites</h1>
    ${data ? html`<p class="meta">This node is site <strong>${data.site}</strong>. Refreshed every ${POLL_MS / 1000} s.</p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !data
        ? html`<p>Loading peers…</p>`
        : data.peers.length === 0
          ? html`<p class="empty">No relay peers: this node neither dials a parent nor has children connected (docs/relay.md).</p>`
          : html`<div class="scroll" tabindex="0"><table data-testid="peers-table">
            <caption class="sr-only">Relay peers</caption>
            <thead><tr>
              <th scope="col">Peer</th><th scope="col">Side</th><th scope="col">Link</th><th scope="col">Last contact</th>
              <th scope="col">Lag</th><th scope="col">Pending changes</th><th scope="col">Pending bytes</th>
              <th scope="col">Sent</th><th scope="col">Received</th><th scope="col">Retried frames</th><th scope="col">Denied</th><th scope="col">Epoch splits</th>
            </tr></thead>
            <tbody>${data.peers.map(
              (p) => html`<tr key=${p.peer}>
                <th scope="row">${p.peer}${p.site && p.site !== p.peer ? ` (${p.site})` : ""}</th>
                <td>${p.side}</td>
                <td>${p.connected ? html`<span class="badge ok">connected</span>` : html`<span class="badge off">down</span>`}</td>
                <td>${p.lastContact === null ? "never" : ago(p.lastContact / 1000)}</td>
                <td>${duration(p.lagMs)}</td>
                <td>${p.pendingChanges}</td>
                <td>${bytes(p.pendingBytes)}</td>
                <td>${bytes(p.bytesSent)} · ${p.changesSent} changes</td>
                <td>${bytes(p.bytesReceived)} · ${p.changesReceived} changes</td>
                <td>${p.framesRetried}</td>
                <td>${p.denied}</td>
                <td>${p.epochSplits > 0 ? html`<span class="badge off">${p.epochSplits}</span>` : "0"}</td>
              </tr>`,
            )}</tbody>
          </table></div>
          ${splitNotes(data.peers)}`
    }
  `;
}

/**
 * Shadows two sites cut (broker/relay/epoch-split.ts), named under the table with the fix, as
 * `umbra peers` does.
 */
function splitNotes(peers: LinkStats[]) {
  const split = peers.filter((p) => p.epochSplits > 0);
  if (split.length === 0) return null;
  return html`<div class="error" role="alert" data-testid="epoch-splits">${split.map(
    (p) =>
      html`<p key=${p.peer}><strong>${p.peer}</strong>: ${shadowsNamed(p.splitShadows)} with two bases for one epoch: two sites cut them; set <code>epochShared: false</code> on all but one of the parents that share them.</p>`,
  )}</div>`;
}

/** "1 shadow (pdu-1)", "7 shadows (a, b, c, d, e, …)". */
function shadowsNamed(keys: string[]): string {
  const names = keys.slice(0, 5).join(", ") + (keys.length > 5 ? ", …" : "");
  return `${keys.length} ${keys.length === 1 ? "shadow" : "shadows"} (${names})`;
}
