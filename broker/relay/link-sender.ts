import type { Clock } from "../../shared/clock.ts";
import { type ChangesFrame, encodeFrame, type Frame } from "../../shared/relay/protocol.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";
import { ChangeFramePacker } from "./change-packing.ts";
import { FlushScheduler } from "./flush-scheduler.ts";
import {
  addrOfKey,
  type LinkCounters,
  type LinkDeps,
  type LinkOptions,
  type LinkOutbox,
} from "./link-types.ts";
import type { PeerSync } from "./peer-sync.ts";
import { type InFlight, SendWindow } from "./send-window.ts";

/** How soon a flush looks again at shadows it skipped because their group commit was running. */
const COMMIT_RECHECK_MS = 20;

export type SenderDeps = Pick<LinkDeps, "send" | "store" | "service" | "log" | "acked">;

/**
 * The sending half of one link session: frames out under the flush policy, the send window and the
 * byte budget; resends of unacknowledged frames; the outbox's plain-topic messages once no shadow is
 * pending. Everything it schedules goes through one FlushScheduler on the injected clock.
 */
export class LinkSender {
  readonly window: SendWindow;
  private readonly flusher: FlushScheduler;
  private readonly budget: TokenBucket | undefined;
  private cancelRetry: (() => void) | undefined;
  private lastFlush = 0;
  /** Whether the transport is up (a session is open). */
  up = false;
  /**
   * Send dependency hashes outside a frame as 4-byte prefixes (the peer resolves them among its
   * changes; they are heads it acknowledged or just received in an earlier frame of this session).
   * Halves the bytes of small updates. Off for the rest of the link session once the peer refuses a
   * frame it could not rebuild: full hashes then take Automerge's missing-dependency repair path.
   */
  abbreviate = true;
  outbox: LinkOutbox | undefined;
  /** Highest outbox seq handed to a frame in this session (the next frame continues after it). */
  private outboxCursor = 0;
  /** Set while packing when a shadow was skipped because its group commit is still running. */
  private waitingForCommit = false;

  constructor(
    private readonly deps: SenderDeps,
    private readonly options: LinkOptions,
    private readonly sync: PeerSync,
    private readonly counters: LinkCounters,
    private readonly clock: Clock,
    /** The link's share check (policy and the peer's announced filter). */
    private readonly allows: (thing: string) => boolean,
  ) {
    this.window = new SendWindow(options.window);
    this.flusher = new FlushScheduler(clock, () => this.flush());
    const rate = options.linkRate;
    this.budget = rate ? new TokenBucket(rate, rate, clock.now(), 0) : undefined;
  }

  /** A new session (`epoch`): what was in flight goes back to the dirty set; resends start. */
  start(epoch: number): void {
    this.requeue(this.window.restart(epoch));
    this.sync.optimistic.clear();
    this.outboxCursor = 0;
    this.abbreviate = true;
    this.up = true;
    this.budget?.reset(this.clock.now(), 0);
    this.retryLater();
  }

  /** The session is over: frames in flight go back to the dirty set; nothing is scheduled. */
  stop(): void {
    this.up = false;
    this.requeue(this.window.drain());
    this.sync.optimistic.clear();
    this.outboxCursor = 0;
    this.flusher.stop();
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }

  private requeue(frames: InFlight[]): void {
    for (const f of frames) for (const key of f.heads.keys()) this.sync.markDirty(key, f.since);
  }

  /** The flush policy: after `syncDeltaMs` since the last flush, or at once past `syncMax` dirty. */
  schedule(): void {
    if (!this.up) return;
    if (this.sync.dirty.size >= this.options.syncMax) this.flushNow();
    else this.flusher.within(this.lastFlush + this.options.syncDeltaMs - this.clock.now());
  }

  flushNow(): void {
    if (this.up) this.flusher.asap();
  }

  /** Encodes and sends a frame; undefined when the transport is down. */
  transmit(frame: Frame): Uint8Array | undefined {
    const bytes = encodeFrame(frame, { abbreviateDeps: this.abbreviate });
    if (!this.deps.send(bytes)) return undefined;
    // Control frames (hello, digest, heads, acks) never wait for the budget but are paid from it.
    if (frame.t !== "changes" && frame.t !== "messages") this.budget?.spend(bytes.byteLength);
    this.counters.bytesSent += bytes.byteLength;
    this.counters.framesSent++;
    return bytes;
  }

  /** Sends frames while shadows are dirty, the window has room and the budget allows; then messages. */
  flush(): void {
    if (!this.up) return;
    this.lastFlush = this.clock.now();
    while (!this.window.full) {
      const wait = this.budget?.waitMs(this.clock.now()) ?? 0;
      if (wait > 0) {
        this.flusher.within(wait);
        return;
      }
      this.waitingForCommit = false;
      if (!this.sendChanges() && !this.sendMessages()) {
        // Shadows skipped because their group commit is still running: look again once it has run.
        if (this.waitingForCommit) this.flusher.within(COMMIT_RECHECK_MS);
        return;
      }
    }
  }

  private sendChanges(): boolean {
    const now = this.clock.now();
    const packer = new ChangeFramePacker(this.options.maxFrameBytes);
    const rest: [string, number][] = [];
    for (const [key, since] of this.sync.dirty) {
      const addr = addrOfKey(key);
      if (!this.allows(addr.thing)) {
        this.sync.clean(key);
        continue;
      }
      const entry = this.deps.store.open(addr);
      // A change not yet committed must not leave this node: after a crash it would be gone here while
      // the peer holds it, and this node's actor would reuse its sequence number for a different change.
      // It stays dirty and the flush looks again shortly: the commit's `change` event does not reach
      // this link when the change came from this very peer (a merge it is still committing).
      if (entry.pinned > 0) {
        this.waitingForCommit = true;
        continue;
      }
      // Updates made while no peer shared the thing are deferred (docs/shadow-engine.md): no change
      // holds them yet. Have them written as one and look again once it is committed.
      if (entry.doc.deferredCount > 0) {
        this.waitingForCommit = true;
        this.deps.service.foldDeferred(addr).catch((err: Error) => {
          this.deps.log.warn({ key, err: err.message }, "relay: writing deferred updates failed");
        });
        continue;
      }
      const doc = entry.doc;
      const base = this.sync.baseOf(key);
      const changes = doc.changesSince(base);
      this.sync.takeForFrame(key); // persistently dirty until acked
      if (changes.length === 0) {
        // The peer holds all we have: with nothing in flight that is a fact the agreed cut can use.
        if (this.sync.nothingToSend(key, doc.heads())) this.deps.acked?.(key);
        continue;
      }
      const offer = {
        key,
        since,
        changes,
        base,
        heads: () => doc.heads(),
        hasAll: (h: string[]) => doc.hasAll(h),
      };
      const packed = packer.offer(offer);
      if (packed === "deferred") {
        this.sync.putBack(key, since);
        break;
      }
      if (packed === "slice") rest.push([key, since]);
      if (packer.full) break;
    }
    for (const [key, since] of rest) this.sync.markDirty(key, since);
    if (packer.empty) return false;
    const seq = this.window.nextSeq();
    const frame: ChangesFrame = {
      t: "changes",
      epoch: this.window.epoch,
      seq,
      sets: packer.sets,
      heads: packer.explicitHeads(),
    };
    const epochs: Record<string, number> = {};
    for (const set of packer.sets) {
      const e = this.deps.store.open(addrOfKey(set.key)).doc.epoch;
      if (e > 0) epochs[set.key] = e;
    }
    if (Object.keys(epochs).length > 0) frame.shadowEpochs = epochs;
    const since = packer.since(now);
    const bytes = this.transmit(frame);
    if (!bytes) {
      for (const key of packer.heads.keys()) this.sync.markDirty(key, since);
      this.up = false;
      return false;
    }
    this.budget?.spend(bytes.byteLength);
    for (const [key, h] of packer.heads) this.sync.optimistic.set(key, h);
    for (const s of packer.sets) this.counters.changesSent += s.changes.length;
    this.window.add(seq, {
      bytes,
      heads: packer.heads,
      since,
      sentAt: this.clock.now(),
      abbreviated: this.abbreviate,
    });
    return true;
  }

  private sendMessages(): boolean {
    if (!this.outbox) return false;
    const batch = this.outbox.take(this.options.maxFrameBytes, this.outboxCursor);
    const messages = batch.messages;
    const last = messages[messages.length - 1];
    if (!last) return false;
    const seq = this.window.nextSeq();
    const now = this.clock.now();
    const bytes = this.transmit({
      t: "messages",
      epoch: this.window.epoch,
      seq,
      sentAt: now,
      floor: batch.floor,
      messages,
    });
    if (!bytes) return false;
    this.outboxCursor = last.seq;
    this.budget?.spend(bytes.byteLength);
    this.window.add(seq, { bytes, heads: new Map(), since: now, sentAt: now, messages });
    return true;
  }

  private retryLater(): void {
    if (this.cancelRetry) return;
    this.cancelRetry = this.clock.after(Math.max(50, this.options.ackTimeoutMs / 2), () => {
      this.cancelRetry = undefined;
      this.retry();
      if (this.up) this.retryLater();
    });
  }

  /** Resends frames whose ack is overdue (the same bytes: applying twice is a no-op). */
  private retry(): void {
    if (!this.up) return;
    const now = this.clock.now();
    for (const f of this.window.overdue(now, this.options.ackTimeoutMs)) {
      // Resends share the byte budget: on a congested slow link they would otherwise add to the very
      // queue that delayed the ack. What must wait goes on a later tick of this timer.
      if ((this.budget?.waitMs(now) ?? 0) > 0) return;
      if (!this.deps.send(f.bytes)) return;
      this.budget?.spend(f.bytes.byteLength);
      f.sentAt = now;
      this.counters.framesRetried++;
      this.counters.bytesSent += f.bytes.byteLength;
    }
  }
}
