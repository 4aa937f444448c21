import { describe, expect, it } from "vitest";
import type { LinkStats } from "../../broker/relay/link.ts";
import { formatPeersTable } from "../../broker/relay/peers-table.ts";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { bucketCountFor, computeDigest, differingBuckets } from "../../shared/relay/digest.ts";
import { tipsOf } from "../../shared/relay/heads.ts";
import { decodeFrame, encodeFrame, FrameError } from "../../shared/relay/protocol.ts";
import { isValidFilter, topicMatches } from "../../shared/relay/topic-filter.ts";

function docWithChanges(n: number): ShadowDocument {
  const doc = ShadowDocument.create("ab".repeat(16), "edge-1");
  for (let i = 0; i < n; i++) doc.update({ desired: { [`k${i}`]: i } }, 1_700_000_000 + i);
  return doc;
}

describe("relay frames", () => {
  it("round-trips every frame kind, change bytes exactly", () => {
    const doc = docWithChanges(3);
    const changes = doc.changesSince([]);
    const frames = [
      { t: "hello", site: "edge-1", epoch: 7, v: 1 },
      { t: "changes", epoch: 7, seq: 1, sets: [{ key: "pdu-1", changes }], heads: {} },
      { t: "ack", epoch: 7, seq: 1, repair: { "pdu-1": doc.heads() } },
      { t: "digest", buckets: ["", "0011223344556677"] },
      { t: "heads", bucketCount: 16, buckets: [3], heads: { "pdu-1": doc.heads() } },
      {
        t: "messages",
        epoch: 7,
        seq: 2,
        sentAt: 5,
        floor: 0,
        messages: [
          {
            origin: "edge~1",
            seq: 1,
            topic: "things/a/telemetry",
            ts: 4,
            qos: 1,
            payload: new Uint8Array([1, 2, 3]),
          },
        ],
      },
    ] as const;
    for (const f of frames) {
      const back = decodeFrame(encodeFrame(f as never));
      expect(back).toEqual(f);
    }
  });

  it("refuses what is not a frame, another version, or a corrupt body, with the reason", () => {
    const good = encodeFrame({ t: "digest", buckets: [] });
    expect(() => decodeFrame(new Uint8Array([1, 2, 3]))).toThrow(FrameError);
    const future = Uint8Array.from(good);
    future[2] = 9;
    expect(() => decodeFrame(future)).toThrow(/version 9 is not supported/);
    const corrupt = Uint8Array.from(good);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    expect(() => decodeFrame(corrupt)).toThrow(FrameError);
  });

  it("computes the heads a batch leads to from the batch alone", () => {
    const doc = docWithChanges(4);
    expect(tipsOf(doc.changesSince([]))).toEqual([...doc.heads()].sort());
  });
});

describe("digest", () => {
  it("finds exactly the buckets of shadows whose heads differ", () => {
    const entries = Array.from({ length: 500 }, (_, i) => ({ key: `t-${i}`, heads: [`h${i}`] }));
    const count = bucketCountFor(entries.length);
    expect(count).toBe(32);
    const ours = computeDigest(entries, count);
    const changed = entries.map((e, i) => (i === 17 || i === 400 ? { ...e, heads: ["x"] } : e));
    expect(differingBuckets(ours, computeDigest(changed, count))).toHaveLength(2);
    // Order does not matter.
    expect(computeDigest([...entries].reverse(), count)).toEqual(ours);
  });
});

describe("relay topics and peers table", () => {
  it("matches MQTT filters", () => {
    expect(topicMatches("things/+/telemetry/#", "things/a/telemetry/power")).toBe(true);
    expect(topicMatches("things/+/telemetry/#", "things/a/telemetry")).toBe(true);
    expect(topicMatches("things/+/telemetry/#", "things/a/logs")).toBe(false);
    expect(topicMatches("#", "$SYS/x")).toBe(false);
    expect(isValidFilter("a/#/b")).toBe(false);
    expect(isValidFilter("a/b+")).toBe(false);
  });

  it("prints one row per peer", () => {
    const peer = {
      peer: "child:edge-1",
      side: "parent",
      site: "edge-1",
      connected: true,
      lastContact: 1000,
      pendingChanges: 2,
      pendingBytes: 300,
      lagMs: 1500,
      bytesSent: 12_345,
      bytesReceived: 99,
      framesSent: 3,
      framesReceived: 4,
      framesRetried: 1,
      changesSent: 5,
      changesReceived: 6,
      denied: 0,
      epochSplits: 0,
      splitShadows: [],
    } satisfies LinkStats;
    const out = formatPeersTable("core", [peer], 4000);
    expect(out).toContain("child:edge-1  edge-1  up");
    expect(out).toContain("3s ago");
    expect(out).toContain("1.5s");
    expect(formatPeersTable("core", [])).toMatch(/no relay peers/);
    // Connected but silent for over a minute: idle when nothing waits, stalled when changes do.
    const quiet = { ...peer, lastContact: 0 };
    expect(formatPeersTable("core", [{ ...quiet, pendingChanges: 0 }], 75_000)).toContain("up, idle");
    expect(formatPeersTable("core", [quiet], 75_000)).toContain("up, stalled");
    expect(formatPeersTable("core", [{ ...quiet, connected: false }], 75_000)).toContain("down");
    expect(out).not.toContain("epoch");
    // A shadow split between two cutters is named under the table, with the fix.
    const split = formatPeersTable(
      "core",
      [{ ...peer, epochSplits: 3, splitShadows: ["pdu-1", "pdu-2"] }],
      4000,
    );
    expect(split).toMatch(/child:edge-1: 2 shadows with two bases for one epoch \(pdu-1, pdu-2\)/);
    expect(split).toContain("epochShared: false");
  });
});
