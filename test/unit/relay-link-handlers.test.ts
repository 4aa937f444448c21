import { describe, expect, it } from "vitest";
import { EpochSplits, isSecondBase } from "../../broker/relay/epoch-split.ts";
import { handleAck } from "../../broker/relay/handlers/ack.ts";
import { handleChanges } from "../../broker/relay/handlers/changes.ts";
import { HEADS_SLICE, handleHeads } from "../../broker/relay/handlers/heads.ts";
import { handleHello } from "../../broker/relay/handlers/hello.ts";
import { handleMessages } from "../../broker/relay/handlers/messages.ts";
import { PeerSync } from "../../broker/relay/peer-sync.ts";
import { epochActor } from "../../broker/shadow/epoch-base.ts";
import { tipsOf } from "../../shared/relay/heads.ts";
import { encodeFrame } from "../../shared/relay/protocol.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { fakeShadow, linkHarness, recordingLogger } from "../helpers/relay-link-harness.ts";

describe("relay link on a fake clock: flush policy, window, resends", () => {
  it("flushes a dirty shadow after syncDeltaMs, resends it on the ack timeout, and an ack settles it", async () => {
    const h = linkHarness();
    h.shadows.set("pdu-1", fakeShadow(3));
    h.link.open();
    expect(h.of("hello").length).toBe(1);
    h.link.markDirty("pdu-1");
    h.clock.advance(0); // the first flush of a session goes at once
    const [first] = h.of("changes");
    expect(first?.sets[0]?.changes.length).toBe(3);
    handleAck(h.link, { t: "ack", epoch: first?.epoch ?? 0, seq: first?.seq ?? 0 });
    h.clock.advance(0);

    h.shadows.set("pdu-1", fakeShadow(4));
    h.link.markDirty("pdu-1");
    h.clock.advance(50);
    expect(h.of("changes").length).toBe(1); // the next waits for syncDeltaMs since the last flush
    h.clock.advance(60);
    const frame = h.of("changes")[1];
    expect(frame?.sets.map((s) => s.key)).toEqual(["pdu-1"]);
    expect(h.link.syncState("pdu-1", h.shadows.get("pdu-1")?.heads ?? [])).toBe("pending");
    expect(h.link.stats().pendingChanges).toBe(1);

    h.clock.advance(1600); // past ackTimeoutMs: resent (the same frame)
    expect(h.link.stats().framesRetried).toBeGreaterThanOrEqual(1);
    expect(h.of("changes").at(-1)?.seq).toBe(frame?.seq);

    h.link.receive(encodeFrame({ t: "ack", epoch: frame?.epoch ?? 0, seq: frame?.seq ?? 0 }));
    await h.link.idle();
    expect(h.link.syncState("pdu-1", h.shadows.get("pdu-1")?.heads ?? [])).toBe("synced");
    expect(h.acked).toEqual(["pdu-1", "pdu-1"]);
    const retried = h.link.stats().framesRetried;
    h.clock.advance(5000);
    expect(h.link.stats().framesRetried).toBe(retried); // nothing left to resend
    h.link.close();
    expect(h.clock.pending).toBeLessThanOrEqual(1); // at most the state write is still due
  });

  it("flushes at once past syncMax dirty shadows", () => {
    const h = linkHarness({ options: { syncMax: 2, syncDeltaMs: 60_000 } });
    for (const k of ["a", "b", "c"]) h.shadows.set(k, fakeShadow(1));
    h.link.open();
    h.link.markDirty("a");
    h.clock.advance(0);
    expect(h.of("changes").length).toBe(1);
    h.link.markDirty("b");
    h.clock.advance(10);
    expect(h.of("changes").length).toBe(1);
    h.link.markDirty("c");
    h.clock.advance(0);
    expect(h.of("changes")[1]?.sets.map((s) => s.key)).toEqual(["b", "c"]);
  });

  it("holds frames for the byte budget and sends them when it has refilled", () => {
    const h = linkHarness({ options: { linkRate: 200, syncDeltaMs: 0, window: 8 } });
    for (const k of ["a", "b"]) h.shadows.set(k, fakeShadow(1));
    h.link.open(); // the hello is paid from the budget: the level is now negative
    const seqs = () => new Set(h.of("changes").map((f) => f.seq)).size;
    h.link.markDirty("a");
    h.clock.advance(0);
    expect(seqs()).toBe(0);
    h.clock.advance(10_000);
    expect(seqs()).toBe(1);
  });

  it("keeps a shadow whose group commit is running until it has run", () => {
    const h = linkHarness({ options: { syncDeltaMs: 0 } });
    const s = fakeShadow(1);
    s.pinned = 1;
    h.shadows.set("a", s);
    h.link.open();
    h.link.markDirty("a");
    h.clock.advance(100);
    expect(h.of("changes").length).toBe(0);
    s.pinned = 0;
    h.clock.advance(20);
    expect(h.of("changes").length).toBe(1);
  });
});

/** A link that has sent one changes frame (shadow "a"), not yet acknowledged. */
function oneFrameInFlight() {
  const h = linkHarness({ options: { syncDeltaMs: 0 } });
  h.shadows.set("a", fakeShadow(2));
  h.link.open();
  h.link.markDirty("a");
  h.clock.advance(0);
  return { h, frame: h.of("changes")[0] };
}

describe("relay frame handlers (broker/relay/handlers/)", () => {
  it("ack of a refused abbreviated frame: full hashes for the session, the shadow goes again", () => {
    const { h, frame } = oneFrameInFlight();
    handleAck(h.link, { t: "ack", epoch: frame?.epoch ?? 0, seq: frame?.seq ?? 0, refused: true });
    expect(h.log.lines.some((l) => l.msg.includes("full hashes for this link session"))).toBe(true);
    expect(h.link.sync.dirty.has("a")).toBe(true);
    h.clock.advance(0);
    expect(h.of("changes").length).toBe(2);
    // An ack of another session's frame changes nothing.
    handleAck(h.link, { t: "ack", epoch: (frame?.epoch ?? 0) + 1, seq: 2 });
    expect(h.link.window.load().keys.has("a")).toBe(true);
  });

  it("ack with repair: the peer's heads are known and the shadow is sent again from them", () => {
    const { h, frame } = oneFrameInFlight();
    handleAck(h.link, { t: "ack", epoch: frame?.epoch ?? 0, seq: frame?.seq ?? 0, repair: { a: [] } });
    expect(h.link.sync.known.get("a")).toEqual([]);
    expect(h.link.sync.dirty.has("a")).toBe(true);
  });

  it("hello: a parent opens its session and sends its digest; a bad filter is ignored with a warning", () => {
    const h = linkHarness({ side: "parent" });
    handleHello(h.link, { t: "hello", site: "edge", epoch: 1, v: 1, things: "pdu-*" });
    expect(h.link.connected).toBe(true);
    expect(h.sent.map((f) => f.t)).toEqual(["hello", "digest"]);
    expect(h.link.stats().site).toBe("edge");
    expect(h.link.shares("pdu-1")).toBe(true);
    expect(h.link.shares("ups-1")).toBe(false);
    handleHello(h.link, { t: "hello", site: "edge", epoch: 2, v: 1, things: "[" });
    expect(h.log.lines.some((l) => l.level === "warn" && l.msg.includes("share filter ignored"))).toBe(true);
    expect(h.link.shares("ups-1")).toBe(true);
  });

  it("hello at a child: the digest goes once the link is up", () => {
    const h = linkHarness({ side: "child" });
    handleHello(h.link, { t: "hello", site: "core", epoch: 1, v: 1 });
    expect(h.sent.length).toBe(0);
    h.link.open();
    handleHello(h.link, { t: "hello", site: "core", epoch: 1, v: 1 });
    expect(h.sent.map((f) => f.t)).toEqual(["hello", "digest"]);
  });

  it("changes: merged, acked, with repair where dependencies are missing and stale shadows sent back", async () => {
    const heads = { a: ["aa"], b: ["bb"] };
    const h = linkHarness({
      merge: (key) =>
        key === "a"
          ? { heads: heads.a, changed: true, missing: true }
          : { heads: heads.b, changed: false, missing: false, stale: true },
    });
    h.link.open();
    const a = fakeShadow(1);
    await handleChanges(h.link, {
      t: "changes",
      epoch: 9,
      seq: 3,
      heads: {},
      sets: [
        { key: "a", changes: a.changes },
        { key: "b", changes: a.changes },
        { key: "$bad/key", changes: a.changes },
      ],
    });
    const [ack] = h.of("ack");
    expect(ack).toMatchObject({ epoch: 9, seq: 3, repair: { a: ["aa"] } });
    expect(h.link.sync.known.get("b")).toEqual([]);
    expect(h.link.sync.dirty.has("b")).toBe(true);
    expect(h.link.stats().denied).toBe(1);
    expect(h.link.stats().changesReceived).toBe(2);
  });

  it("changes: the peer's heads (the batch tips) become known; ours differing makes it dirty", async () => {
    const s = fakeShadow(2);
    const h = linkHarness({ merge: () => ({ heads: ["other"], changed: true, missing: false }) });
    h.link.open();
    await handleChanges(h.link, {
      t: "changes",
      epoch: 1,
      seq: 1,
      heads: {},
      sets: [{ key: "a", changes: s.changes }],
    });
    expect(h.link.sync.known.get("a")).toEqual(tipsOf(s.changes));
    expect(h.link.sync.dirty.has("a")).toBe(true);
  });

  it("heads: a shadow the peer lacks becomes dirty, one it holds exactly becomes clean", async () => {
    const h = linkHarness();
    const a = fakeShadow(1);
    const b = fakeShadow(2);
    h.shadows.set("a", a);
    h.shadows.set("b", b);
    h.link.sync.markDirty("b", 0);
    await handleHeads(h.link, {
      t: "heads",
      bucketCount: 1,
      buckets: [0],
      heads: { b: b.heads.map((x) => x.slice(0, 16)) },
    });
    expect(h.link.sync.dirty.has("b")).toBe(false);
    expect(h.link.sync.known.get("b")).toEqual(b.heads);
    expect(h.link.sync.dirty.has("a")).toBe(true); // in the bucket, not listed: the peer has none of it
    expect(h.link.sync.known.get("a")).toEqual([]);
  });

  it("heads: a big page is handled in slices, and abandoned when its session ends", async () => {
    const page = (keys: string[]) => ({
      t: "heads" as const,
      bucketCount: 1,
      buckets: [0],
      heads: Object.fromEntries(keys.map((k) => [k, ["00000000000000aa"]])),
    });
    const keys = Array.from({ length: 3 * HEADS_SLICE + 10 }, (_, i) => `pdu-${i}`);
    const h = linkHarness();
    h.link.open();
    // Shadows we do not hold: nothing to send (their changes come from the peer), nothing recorded.
    await handleHeads(h.link, page(keys));
    expect(keys.filter((k) => h.link.sync.known.has(k) || h.link.sync.dirty.has(k))).toEqual([]);
    for (const k of keys) h.shadows.set(k, fakeShadow(1));
    await handleHeads(h.link, page(keys));
    // Shadows we hold, listed with heads we lack: known as nothing, dirty (we send them).
    expect(keys.every((k) => h.link.sync.known.get(k)?.length === 0)).toBe(true);
    expect(keys.every((k) => h.link.sync.dirty.has(k))).toBe(true);
    const cut = linkHarness();
    for (const k of keys) cut.shadows.set(k, fakeShadow(1));
    cut.link.open();
    const handling = handleHeads(cut.link, page(keys));
    cut.link.close();
    await handling;
    const seen = keys.filter((k) => cut.link.sync.known.has(k)).length;
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(keys.length);
  });

  it("messages: acked once delivered; refused with a warning where nobody accepts them", async () => {
    const delivered: number[] = [];
    const h = linkHarness({ deps: { onMessages: (f) => void delivered.push(f.seq) } });
    h.link.open();
    const frame = { t: "messages" as const, epoch: 4, seq: 2, sentAt: 0, floor: 0, messages: [] };
    await handleMessages(h.link, frame);
    expect(delivered).toEqual([2]);
    expect(h.of("ack")).toEqual([{ t: "ack", epoch: 4, seq: 2 }]);
    const none = linkHarness();
    await handleMessages(none.link, frame);
    expect(none.of("ack").length).toBe(0);
    expect(none.log.lines.some((l) => l.msg.includes("not accepted here"))).toBe(true);
  });
});

describe("PeerSync (broker/relay/peer-sync.ts)", () => {
  it("writes what changed in one batch after the persist interval, and on save()", () => {
    const clock = new FakeClock();
    const writes: { known?: Map<string, string[]>; dirty?: Map<string, number>; clean?: Set<string> }[] = [];
    const store = {
      loadKnown: () => new Map([["x", ["h0"]]]),
      loadDirty: () => new Map([["y", 5]]),
      write: (_p: string, b: (typeof writes)[number]) =>
        void writes.push({ known: new Map(b.known), dirty: new Map(b.dirty), clean: new Set(b.clean) }),
    };
    const sync = new PeerSync("p", store, clock, recordingLogger());
    expect(sync.baseOf("x")).toEqual(["h0"]);
    sync.optimistic.set("x", ["h1"]);
    expect(sync.baseOf("x")).toEqual(["h1"]);
    sync.setKnown("x", ["h1"]); // what was assumed is now known
    expect(sync.optimistic.has("x")).toBe(false);
    sync.markDirty("z", 7);
    sync.clean("y");
    clock.advance(499);
    expect(writes.length).toBe(0);
    clock.advance(1);
    expect(writes).toEqual([
      { known: new Map([["x", ["h1"]]]), dirty: new Map([["z", 7]]), clean: new Set(["y"]) },
    ]);
    expect(sync.holds("x", ["h1"])).toBe(true);
    sync.markDirty("z", 9); // already dirty: nothing to write
    sync.save();
    expect(writes.length).toBe(1);
  });
});

describe("two bases for one epoch (broker/relay/epoch-split.ts)", () => {
  const dup = (key: string, epoch: number) =>
    new RangeError(`error applying changes: duplicate seq 1 found for actor ${epochActor(key, epoch)}`);

  it("recognises Automerge's refusal of a second base, and nothing else", () => {
    expect(isSecondBase(dup("pdu-1", 2), "pdu-1", 2)).toBe(true);
    expect(isSecondBase(dup("pdu-1", 2), "pdu-1", 3)).toBe(false); // another epoch's actor
    expect(isSecondBase(dup("pdu-1", 2), "pdu-2", 2)).toBe(false);
    expect(isSecondBase(dup("pdu-1", 0), "pdu-1", 0)).toBe(false); // epoch 0 has no base
    expect(isSecondBase(new Error("something else"), "pdu-1", 2)).toBe(false);
  });

  it("a frame carrying one is acknowledged with the rest merged; the split is counted and shown", async () => {
    const h = linkHarness({
      merge: (key, _changes, epoch) => {
        if (key === "pdu-1") throw dup("pdu-1", epoch);
        return { heads: [], changed: true, missing: false };
      },
      deps: { peersSharing: () => ["peer:there", "parent:other"] },
    });
    h.link.open();
    const s = fakeShadow(1);
    await handleChanges(h.link, {
      t: "changes",
      epoch: 5,
      seq: 1,
      heads: {},
      shadowEpochs: { "pdu-1": 2, "pdu-2": 2 },
      sets: [
        { key: "pdu-1", changes: s.changes },
        { key: "pdu-2", changes: s.changes },
      ],
    });
    expect(h.of("ack")).toEqual([{ t: "ack", epoch: 5, seq: 1 }]);
    expect(h.link.stats()).toMatchObject({ epochSplits: 1, splitShadows: ["pdu-1"], changesReceived: 1 });
    const warn = h.log.lines.filter((l) => l.level === "warn");
    expect(warn.length).toBe(1);
    expect(warn[0]?.msg).toContain("epochShared: false");
    expect(warn[0]?.obj).toMatchObject({ shadow: "pdu-1", epoch: 2, alsoSharedWith: ["parent:other"] });
  });

  it("any other merge failure still drops the frame unacknowledged, as before", async () => {
    const h = linkHarness({
      merge: () => {
        throw new Error("disk full");
      },
    });
    h.link.open();
    await expect(
      handleChanges(h.link, {
        t: "changes",
        epoch: 5,
        seq: 1,
        heads: {},
        shadowEpochs: { a: 2 },
        sets: [{ key: "a", changes: fakeShadow(1).changes }],
      }),
    ).rejects.toThrow("disk full");
    expect(h.of("ack").length).toBe(0);
  });

  it("warns once per shadow per peer per 10 minutes and remembers the latest 20 shadows", () => {
    const clock = new FakeClock();
    const log = recordingLogger();
    const splits = new EpochSplits("child:edge", log, clock);
    splits.seen("a", "a", 1);
    splits.seen("a", "a", 1);
    splits.seen("b", "b", 1);
    expect(log.lines.length).toBe(2);
    clock.advance(10 * 60_000);
    splits.seen("a", "a", 1);
    expect(log.lines.length).toBe(3);
    expect(splits.count).toBe(4);
    for (let i = 0; i < 30; i++) splits.seen(`k${i}`, `k${i}`, 1);
    expect(splits.shadows.length).toBe(20);
    expect(splits.shadows.at(-1)).toBe("k29");
  });

  it("hello: a child's noCut list holds back this parent's cuts of those things; a bad one is ignored", () => {
    const h = linkHarness({ side: "parent" });
    handleHello(h.link, { t: "hello", site: "edge", epoch: 1, v: 1, noCut: "pdu-*" });
    expect(h.link.holdsBackCut("pdu-1")).toBe(true);
    expect(h.link.holdsBackCut("ups-1")).toBe(false);
    h.link.close();
    expect(h.link.holdsBackCut("pdu-1")).toBe(true); // the other parent still cuts it
    handleHello(h.link, { t: "hello", site: "edge", epoch: 2, v: 1 });
    expect(h.link.holdsBackCut("pdu-1")).toBe(false);
    handleHello(h.link, { t: "hello", site: "edge", epoch: 3, v: 1, noCut: "[" });
    expect(h.log.lines.some((l) => l.msg.includes("no-cut list ignored"))).toBe(true);
  });

  it("a child announces noCut in its hello when it is given one", () => {
    const h = linkHarness({ deps: { noCutSpec: () => "pdu-*,ups-*" } });
    h.link.open();
    expect(h.of("hello")[0]?.noCut).toBe("pdu-*,ups-*");
  });
});
