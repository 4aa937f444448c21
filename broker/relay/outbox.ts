import type { Registry } from "prom-client";
import type { Logger } from "../../shared/logger.ts";
import type { Db } from "../store/database.ts";
import { type OutboxMetrics, outboxMetrics } from "./outbox-metrics.ts";
import { outboxStateValue, setOutboxState } from "./outbox-schema.ts";

/**
 * The store-and-forward outbox for plain topics the operator relays upstream
 * (`--relay-topic 'things/+/telemetry/#'`). Messages wait in SQLite (surviving restarts and link loss)
 * until the parent acknowledges them; each has a unique id `(origin, seq)`: `origin` is the site name
 * plus an epoch drawn once per database (so a site rebuilt from scratch does not reuse ids the parent
 * has already seen), `seq` increases monotonically and is never reused.
 *
 * Full-outbox policy (`maxBytes`, counted as topic + payload bytes):
 * - `refuse-new` (default): `enqueue` returns `{accepted: false}`, the refusal is counted
 *   (`umbra_relay_outbox_rejected_total{reason="refused-new"}`, `stats().refused`) and logged once per
 *   minute. Everything the outbox ever accepted is delivered: the guarantee the relay tests account for,
 *   and the caller learns of the refusal at the moment it happens. During a long outage the backlog
 *   keeps the oldest data, which is the data no other path has.
 * - `drop-oldest`: the oldest messages are deleted to make room, counted (`reason="dropped-oldest"`,
 *   `stats().dropped`) and logged once per minute; `peek` reports `floor` so the receiver's
 *   exactly-once filter can step over the gap.
 * Nothing is dropped silently under either policy.
 */
export type OutboxPolicy = "refuse-new" | "drop-oldest";

export interface OutboxOptions {
  /** This site's name; part of every message id. */
  site: string;
  /** Byte bound of the backlog (topic + payload). Default 64 MiB. */
  maxBytes?: number;
  policy?: OutboxPolicy;
  log?: Logger;
  metrics?: Registry;
  /** Clock (ms since epoch); tests pass a fake one. */
  now?: () => number;
}

export interface OutboxInput {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  /** When the message was published at this site (ms since epoch). Default: now. */
  ts?: number;
}

export interface OutboxMessage {
  origin: string;
  seq: number;
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  ts: number;
}

export interface OutboxBatch {
  messages: OutboxMessage[];
  /** Every seq ≤ floor is acknowledged or was dropped: the receiver may advance its filter to it. */
  floor: number;
  bytes: number;
}

export interface OutboxStats {
  count: number;
  bytes: number;
  maxBytes: number;
  /** Age of the oldest waiting message in ms (0 when empty). */
  oldestAgeMs: number;
  /** Messages deleted unsent to make room (`drop-oldest`). */
  dropped: number;
  /** Messages refused because the outbox was full (`refuse-new`, or larger than `maxBytes`). */
  refused: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const LOG_EVERY_MS = 60_000;

interface Row {
  seq: number;
  topic: string;
  payload: Buffer;
  qos: number;
  ts: number;
  bytes: number;
}

export class RelayOutbox {
  readonly origin: string;
  readonly maxBytes: number;
  readonly policy: OutboxPolicy;
  private count = 0;
  private bytes = 0;
  private dropped: number;
  private refused: number;
  private lastFullLog = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly metrics?: OutboxMetrics;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly options: OutboxOptions,
  ) {
    if (!options.site) throw new Error("relay outbox: a site name is required (set --site)");
    const epoch = outboxStateValue(db, "epoch", () => crypto.randomUUID().slice(0, 8));
    this.origin = `${options.site}~${epoch}`;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.policy = options.policy ?? "refuse-new";
    this.now = options.now ?? Date.now;
    this.dropped = Number(outboxStateValue(db, "dropped", () => "0"));
    this.refused = Number(outboxStateValue(db, "refused", () => "0"));
    this.stmt = {
      insert: db.prepare("INSERT INTO relay_outbox (topic, payload, qos, ts, bytes) VALUES (?, ?, ?, ?, ?)"),
      peek: db.prepare(
        "SELECT seq, topic, payload, qos, ts, bytes FROM relay_outbox WHERE seq > ? ORDER BY seq LIMIT ?",
      ),
      oldest: db.prepare("SELECT seq, ts, bytes FROM relay_outbox ORDER BY seq LIMIT 1"),
      remove: db.prepare("DELETE FROM relay_outbox WHERE seq = ? RETURNING bytes"),
      totals: db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM relay_outbox"),
      lastSeq: db.prepare(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'relay_outbox'), 0) AS s",
      ),
    };
    const totals = this.stmt.totals.get() as { n: number; b: number };
    this.count = totals.n;
    this.bytes = totals.b;
    if (options.metrics) this.metrics = outboxMetrics(options.metrics);
    this.publishGauges();
  }

  /**
   * Stores messages in one transaction (one fsync for the lot). Returns the assigned seq per message,
   * or null for a message the outbox refused (full under `refuse-new`, or larger than the bound).
   */
  enqueueMany(inputs: readonly OutboxInput[]): (number | null)[] {
    const now = this.now();
    const out: (number | null)[] = [];
    let refused = 0;
    let dropped = 0;
    this.db.transaction(() => {
      for (const m of inputs) {
        const size = Buffer.byteLength(m.topic) + m.payload.byteLength;
        if (size > this.maxBytes || (this.policy === "refuse-new" && this.bytes + size > this.maxBytes)) {
          refused++;
          out.push(null);
          continue;
        }
        while (this.bytes + size > this.maxBytes) {
          const oldest = this.stmt.oldest.get() as { seq: number; bytes: number } | undefined;
          if (!oldest) break;
          this.stmt.remove.run(oldest.seq);
          this.count--;
          this.bytes -= oldest.bytes;
          dropped++;
        }
        const info = this.stmt.insert.run(m.topic, m.payload, m.qos, m.ts ?? now, size);
        this.count++;
        this.bytes += size;
        out.push(Number(info.lastInsertRowid));
      }
      if (refused) setOutboxState(this.db, "refused", String(this.refused + refused));
      if (dropped) setOutboxState(this.db, "dropped", String(this.dropped + dropped));
    })();
    if (refused || dropped) this.noteFull(refused, dropped, now);
    this.publishGauges();
    return out;
  }

  /** Stores one message; `accepted: false` when the outbox is full (see the policy above). */
  enqueue(input: OutboxInput): { accepted: true; seq: number } | { accepted: false } {
    const seq = this.enqueueMany([input])[0];
    return seq == null ? { accepted: false } : { accepted: true, seq };
  }

  /**
   * The oldest waiting messages after `afterSeq` (default: from the start) up to about `maxBytes`
   * (at least one message when any waits, so a large message cannot block the queue).
   * Messages stay until acknowledged; `afterSeq` lets a sender keep several batches in flight.
   */
  peek(maxBytes: number, afterSeq = 0): OutboxBatch {
    const messages: OutboxMessage[] = [];
    let bytes = 0;
    let cursor = afterSeq;
    const page = 256;
    while (bytes < maxBytes) {
      const rows = this.stmt.peek.all(cursor, page) as Row[];
      for (const r of rows) {
        if (messages.length > 0 && bytes + r.bytes > maxBytes)
          return { messages, bytes, floor: this.floor() };
        messages.push({
          origin: this.origin,
          seq: r.seq,
          topic: r.topic,
          payload: new Uint8Array(r.payload),
          qos: r.qos as 0 | 1 | 2,
          ts: r.ts,
        });
        bytes += r.bytes;
        cursor = r.seq;
      }
      if (rows.length < page) break;
    }
    return { messages, bytes, floor: this.floor() };
  }

  /** Deletes acknowledged messages (unknown or already-acknowledged seqs are ignored). */
  ack(seqs: Iterable<number>): void {
    this.db.transaction(() => {
      for (const seq of seqs) {
        const row = this.stmt.remove.get(seq) as { bytes: number } | undefined;
        if (row) {
          this.count--;
          this.bytes -= row.bytes;
        }
      }
    })();
    this.publishGauges();
  }

  /** Every seq ≤ floor is gone from the outbox (acknowledged or dropped). */
  floor(): number {
    const oldest = this.stmt.oldest.get() as { seq: number } | undefined;
    if (oldest) return oldest.seq - 1;
    return (this.stmt.lastSeq.get() as { s: number }).s;
  }

  stats(): OutboxStats {
    const oldest = this.stmt.oldest.get() as { ts: number } | undefined;
    return {
      count: this.count,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      oldestAgeMs: oldest ? Math.max(0, this.now() - oldest.ts) : 0,
      dropped: this.dropped,
      refused: this.refused,
    };
  }

  private noteFull(refused: number, dropped: number, now: number): void {
    this.refused += refused;
    this.dropped += dropped;
    if (refused) this.metrics?.rejected.inc({ reason: "refused-new" }, refused);
    if (dropped) this.metrics?.rejected.inc({ reason: "dropped-oldest" }, dropped);
    if (now - this.lastFullLog < LOG_EVERY_MS) return;
    this.lastFullLog = now;
    this.options.log?.warn(
      {
        policy: this.policy,
        maxBytes: this.maxBytes,
        bytes: this.bytes,
        refused: this.refused,
        dropped: this.dropped,
      },
      this.policy === "refuse-new"
        ? "relay outbox is full: new messages are refused until the parent link drains it (raise --relay-outbox-bytes or restore the link)"
        : "relay outbox is full: the oldest messages are being dropped (raise --relay-outbox-bytes or restore the link)",
    );
  }

  private publishGauges(): void {
    this.metrics?.messages.set(this.count);
    this.metrics?.bytes.set(this.bytes);
  }
}
