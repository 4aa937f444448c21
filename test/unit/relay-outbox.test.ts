import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RelayOutbox } from "../../broker/relay/outbox.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A logger double that only records warn lines (the outbox logs nothing else). */
function recordingLog() {
  const lines: string[] = [];
  return { lines, log: { warn: (_o: unknown, msg: string) => lines.push(msg) } as never };
}

describe("relay outbox (real SQLite)", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "umbra-outbox-"));
    db = openDatabase(dir);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("assigns increasing ids, peeks oldest-first within a byte budget, and acks", () => {
    const box = new RelayOutbox(db, { site: "edge-1" });
    expect(box.origin).toMatch(/^edge-1~[0-9a-f]{8}$/);
    const seqs = [0, 1, 2, 3, 4].map((i) => {
      const r = box.enqueue({
        topic: `things/t${i}/telemetry/x`,
        payload: enc(`{"v":${i}}`),
        qos: 1,
        ts: 1000 + i,
      });
      if (!r.accepted) throw new Error("refused");
      return r.seq;
    });
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(5);
    const size = "things/t0/telemetry/x".length + '{"v":0}'.length;
    const first = box.peek(size * 2);
    expect(first.messages.map((m) => m.seq)).toEqual(seqs.slice(0, 2));
    expect(first.messages[0]).toMatchObject({
      origin: box.origin,
      topic: "things/t0/telemetry/x",
      qos: 1,
      ts: 1000,
    });
    expect(new TextDecoder().decode(first.messages[1]?.payload)).toBe('{"v":1}');
    // Several batches in flight: peek after the last seq sent.
    const second = box.peek(size * 2, seqs[1]);
    expect(second.messages.map((m) => m.seq)).toEqual(seqs.slice(2, 4));
    // A budget smaller than one message still yields one (no head-of-line block).
    expect(box.peek(1).messages).toHaveLength(1);
    box.ack([seqs[0] as number, seqs[1] as number, 999]);
    expect(box.stats()).toMatchObject({ count: 3, bytes: size * 3 });
    expect(box.floor()).toBe(seqs[1]);
    box.ack(seqs);
    expect(box.stats()).toMatchObject({ count: 0, bytes: 0, oldestAgeMs: 0 });
    expect(box.floor()).toBe(seqs[4]);
  });

  it("survives a restart: backlog, origin and sequence continue, ids never reused", () => {
    let now = 10_000;
    const box = new RelayOutbox(db, { site: "edge-1", now: () => now });
    const a = box.enqueueMany([
      { topic: "t/1", payload: enc("a"), qos: 1 },
      { topic: "t/2", payload: enc("b"), qos: 0 },
    ]);
    box.ack([a[1] as number]);
    const origin = box.origin;
    db.close();
    db = openDatabase(dir);
    now = 12_500;
    const again = new RelayOutbox(db, { site: "edge-1", now: () => now });
    expect(again.origin).toBe(origin);
    expect(again.stats()).toMatchObject({ count: 1, bytes: 4, oldestAgeMs: 2500 });
    expect(again.peek(1000).messages.map((m) => m.topic)).toEqual(["t/1"]);
    const b = again.enqueue({ topic: "t/3", payload: enc("c"), qos: 1 });
    expect(b.accepted && b.seq).toBe((a[1] as number) + 1);
    // Even with everything acknowledged, a restart does not reuse a sequence.
    again.ack(again.peek(1000).messages.map((m) => m.seq));
    db.close();
    db = openDatabase(dir);
    const third = new RelayOutbox(db, { site: "edge-1" });
    const c = third.enqueue({ topic: "t/4", payload: enc("d"), qos: 1 });
    expect(c.accepted && c.seq).toBe((a[1] as number) + 2);
  });

  it("refuses new messages when full (default policy), counts them and logs once per minute", async () => {
    let now = 0;
    const metrics = new Registry();
    const { lines, log } = recordingLog();
    const box = new RelayOutbox(db, { site: "s", maxBytes: 100, log, metrics, now: () => now });
    const msg = { topic: "t", payload: new Uint8Array(29), qos: 1 as const }; // 30 bytes
    const results = box.enqueueMany([msg, msg, msg, msg, msg]);
    expect(results.filter((r) => r !== null)).toHaveLength(3);
    expect(results.slice(3)).toEqual([null, null]);
    expect(box.enqueue(msg).accepted).toBe(false);
    now += 30_000;
    expect(box.enqueue(msg).accepted).toBe(false);
    expect(lines).toHaveLength(1);
    now += 31_000;
    expect(box.enqueue(msg).accepted).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/outbox is full.*refused/);
    expect(box.stats()).toMatchObject({ count: 3, bytes: 90, refused: 5, dropped: 0 });
    const text = await metrics.metrics();
    expect(text).toMatch(/umbra_relay_outbox_rejected_total\{reason="refused-new"\} 5/);
    expect(text).toMatch(/umbra_relay_outbox_bytes 90/);
    // Draining makes room again; the refusal count persists across a restart.
    box.ack(box.peek(1000).messages.map((m) => m.seq));
    expect(box.enqueue(msg).accepted).toBe(true);
    db.close();
    db = openDatabase(dir);
    expect(new RelayOutbox(db, { site: "s", maxBytes: 100 }).stats().refused).toBe(5);
  });

  it("drop-oldest makes room, counts the drops and reports the floor for the receiver", () => {
    const { lines, log } = recordingLog();
    const box = new RelayOutbox(db, { site: "s", maxBytes: 100, policy: "drop-oldest", log });
    const msg = (i: number) => ({ topic: "t", payload: enc(`${i}`.padStart(29, "0")), qos: 1 as const });
    const seqs = box.enqueueMany([0, 1, 2, 3, 4].map(msg));
    expect(seqs.every((s) => s !== null)).toBe(true);
    const left = box.peek(1000);
    expect(left.messages.map((m) => m.seq)).toEqual(seqs.slice(2));
    expect(left.floor).toBe(seqs[1]);
    expect(box.stats()).toMatchObject({ count: 3, dropped: 2, refused: 0 });
    expect(lines).toHaveLength(1);
    // A single message larger than the whole bound is refused, not allowed to flush everything.
    expect(box.enqueue({ topic: "t", payload: new Uint8Array(200), qos: 1 }).accepted).toBe(false);
    expect(box.stats()).toMatchObject({ count: 3, refused: 1 });
  });

  it("creates its tables idempotently next to a second instance", () => {
    const a = new RelayOutbox(db, { site: "s" });
    const b = new RelayOutbox(db, { site: "s" });
    expect(a.origin).toBe(b.origin);
    expect(() => new RelayOutbox(db, { site: "" })).toThrow(/site name is required/);
  });
});
