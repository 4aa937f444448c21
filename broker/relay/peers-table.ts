import type { LinkStats } from "./link.ts";

function ago(ms: number | null, now: number): string {
  if (ms === null) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function bytes(n: number): string {
  return n < 10_000
    ? `${n} B`
    : n < 10_000_000
      ? `${Math.round(n / 1024)} KiB`
      : `${Math.round(n / 1048576)} MiB`;
}

/** Links exchange frames only when there is something to send: a quiet link is up but idle, while one
 * that has changes waiting and has heard nothing for a minute is stalled (its peer is not answering). */
const QUIET_MS = 60_000;

function linkState(p: LinkStats, now: number): string {
  if (!p.connected) return "down";
  if (p.lastContact !== null && now - p.lastContact < QUIET_MS) return "up";
  return p.pendingChanges > 0 ? "up, stalled" : "up, idle";
}

/** `umbra peers`: one row per relay link. Pure, so it is tested without a node. */
export function formatPeersTable(site: string, peers: LinkStats[], now = Date.now()): string {
  if (peers.length === 0)
    return `site ${site}: no relay peers (no --parent, and no child site has connected)\n`;
  const head = [
    "PEER",
    "SITE",
    "STATE",
    "LAST CONTACT",
    "PENDING",
    "IN FLIGHT",
    "LAG",
    "SENT",
    "RECEIVED",
    "RETRIED",
  ];
  const rows = peers.map((p) => [
    p.peer,
    p.site ?? "-",
    linkState(p, now),
    ago(p.lastContact, now),
    String(p.pendingChanges),
    bytes(p.pendingBytes),
    `${(p.lagMs / 1000).toFixed(1)}s`,
    bytes(p.bytesSent),
    bytes(p.bytesReceived),
    String(p.framesRetried),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  // Two cutters of one shadow (broker/relay/epoch-split.ts): said under the table, with the fix.
  const splits = peers
    .filter((p) => p.epochSplits > 0)
    .map(
      (p) =>
        `${p.peer}: ${p.splitShadows.length} shadows with two bases for one epoch (${p.splitShadows.slice(0, 5).join(", ")}): ` +
        "two sites cut them; set epochShared: false on all but one of the parents that share them",
    );
  return `site ${site}\n${[line(head), ...rows.map(line), ...splits].join("\n")}\n`;
}
