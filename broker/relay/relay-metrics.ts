import { Counter, Gauge, type Registry } from "prom-client";
import type { FrameIntake } from "./frame-intake.ts";
import type { LinkStats } from "./link.ts";

type Read = (s: LinkStats) => number;

/**
 * `umbra_relay_*` metrics with a `peer` label, read from the links at scrape time. What only grows
 * (bytes, frames, changes) is a Counter named `*_total`, so `rate()` works and promtool is happy; a link
 * re-created after a restart starts again from 0, which Prometheus reads as a counter reset.
 */
export function registerRelayMetrics(registry: Registry, links: () => LinkStats[]): void {
  const gauges: [string, string, Read][] = [
    ["umbra_relay_connected", "1 when the relay link to the peer is up", (s) => (s.connected ? 1 : 0)],
    [
      "umbra_relay_last_contact_seconds",
      "Epoch seconds of the last frame from the peer",
      (s) => (s.lastContact ?? 0) / 1000,
    ],
    [
      "umbra_relay_pending_changes",
      "Shadows with changes the peer does not have yet",
      (s) => s.pendingChanges,
    ],
    ["umbra_relay_pending_bytes", "Bytes of frames sent and not yet acknowledged", (s) => s.pendingBytes],
    ["umbra_relay_lag_seconds", "Age of the oldest change the peer does not have yet", (s) => s.lagMs / 1000],
  ];
  const counters: [string, string, Read][] = [
    ["umbra_relay_sent_bytes_total", "Frame bytes sent to the peer, resends included", (s) => s.bytesSent],
    ["umbra_relay_received_bytes_total", "Frame bytes received from the peer", (s) => s.bytesReceived],
    ["umbra_relay_frames_sent_total", "Frames sent to the peer, resends included", (s) => s.framesSent],
    ["umbra_relay_frames_received_total", "Frames received from the peer", (s) => s.framesReceived],
    ["umbra_relay_frames_retried_total", "Frames resent after an ack timeout", (s) => s.framesRetried],
    ["umbra_relay_changes_sent_total", "Automerge changes sent to the peer", (s) => s.changesSent],
    [
      "umbra_relay_changes_received_total",
      "Automerge changes received from the peer",
      (s) => s.changesReceived,
    ],
    [
      "umbra_relay_denied_total",
      "Shadows the share policy kept from crossing the link (either way)",
      (s) => s.denied,
    ],
    [
      "umbra_relay_epoch_splits_total",
      "Change sets refused as a second base for an epoch this site holds (two sites cut the shadow; see docs/shadow-engine.md)",
      (s) => s.epochSplits,
    ],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ["peer"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of links()) this.set({ peer: s.peer }, read(s));
      },
    });
  }
  peerCounters(registry, counters, links);
}

/**
 * One `*_total` Counter per row, labelled by peer and read at scrape time: the links and intakes own
 * the running totals, the scrape copies them.
 */
function peerCounters<T extends { peer: string }>(
  registry: Registry,
  rows: [string, string, (item: T) => number][],
  items: () => Iterable<T>,
): void {
  for (const [name, help, read] of rows)
    new Counter({
      name,
      help,
      labelNames: ["peer"],
      registers: [registry],
      collect() {
        this.reset();
        for (const item of items()) this.inc({ peer: item.peer }, read(item));
      },
    });
}

/** What the relay refused from its children: frames (and cut-offs) and relayed messages, per peer. */
export function registerIntakeMetrics(
  registry: Registry,
  intakes: () => Iterable<FrameIntake>,
): Counter<"peer"> {
  const reads: [string, string, (i: FrameIntake) => number][] = [
    [
      "umbra_relay_frames_refused_total",
      "Frames from a child refused (corrupt, malformed, too big, over the queue, or while cut off)",
      (i) => i.stats.refused,
    ],
    [
      "umbra_relay_cutoffs_total",
      "Times a child was cut off (a decompression bomb, or too many refused frames)",
      (i) => i.stats.cutOffs,
    ],
  ];
  peerCounters(registry, reads, intakes);
  return new Counter({
    name: "umbra_relay_messages_refused_total",
    help: "Relayed messages a child's site identity may not publish (outside its grant, commands, $ topics)",
    labelNames: ["peer"],
    registers: [registry],
  });
}
