import { randomInt } from "node:crypto";
import { matchesThing, type ThingPattern } from "../../shared/glob.ts";
import type { Logger } from "../../shared/logger.ts";
import {
  bucketCountFor,
  bucketOf,
  computeDigest,
  differingBuckets,
  type KeyHeads,
} from "../../shared/relay/digest.ts";
import { tipsOf } from "../../shared/relay/heads.ts";
import {
  type AckFrame,
  type ChangesFrame,
  decodeFrame,
  encodeFrame,
  type Frame,
  FrameError,
  HEAD_PREFIX_CHARS,
  type HeadsFrame,
  type HelloFrame,
  isValidKey,
  type MessagesFrame,
  PROTOCOL_VERSION,
  parseFrame,
  type RelayedMessage,
} from "../../shared/relay/protocol.ts";
import { peerFilter } from "../../shared/relay/share-filter.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import { sameHeads } from "../shadow/shadow-doc.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import type { PeerStateStore } from "./peer-state.ts";

export interface LinkOptions {
  /** Flush when this long has passed since the last flush … */
  syncDeltaMs: number;
  /** … or when this many shadows are pending. */
  syncMax: number;
  /** Byte budget of the link (bytes per second, frames as sent); undefined: unlimited. */
  linkRate?: number;
  /** Resend a frame not acknowledged within this time. */
  ackTimeoutMs: number;
  /** Stop adding shadows to a frame past this many bytes of raw changes. */
  maxFrameBytes: number;
  /** Frames in flight (sent, not yet acknowledged). */
  window: number;
}

export interface LinkDeps {
  /** This node's site id. */
  site: string;
  /** "child": we dialled the peer (our parent); "parent": the peer dialled us. */
  side: "child" | "parent";
  service: ShadowService;
  store: ShadowStore;
  state: PeerStateStore;
  log: Logger;
  /** Share policy: whether shadows of `thing` cross this link (checked both ways). */
  allows(thing: string): boolean;
  /** That policy as a glob list, announced to the peer in `hello` (it then sends nothing outside it). */
  shareSpec?(): string;
  /** Hands a frame to the transport; false when the transport is down (the frame is lost). */
  send(frame: Uint8Array): boolean;
  /**
   * A frame from the peer that this link could not use (not a refusable change batch): reported here
   * instead of logged, so the frame intake can count it and keep a hostile peer from flooding the log.
   */
  badFrame?(reason: string): void;
  /** The peer acknowledged changes of shadow `key` (the agreed cut looks whether it is due). */
  acked?(key: string): void;
  /** Plain-topic messages the peer forwarded; resolves once they are delivered (then they are acked). */
  onMessages?(frame: MessagesFrame): Promise<void> | void;
}

/** The store-and-forward queue of plain-topic messages a child sends up (broker/relay/outbox.ts). */
export interface LinkOutbox {
  /** The oldest waiting messages after `afterSeq`, up to about `maxBytes`. */
  take(maxBytes: number, afterSeq: number): { messages: RelayedMessage[]; floor: number };
  /** The parent acknowledged these (they are delivered there): forget them. */
  acked(messages: RelayedMessage[]): void;
}

export interface LinkStats {
  peer: string;
  side: "child" | "parent";
  /** The peer's site id as it announced itself. */
  site?: string;
  connected: boolean;
  /** Epoch ms of the last frame received. */
  lastContact: number | null;
  /** Shadows with changes the peer does not have yet (dirty or in flight). */
  pendingChanges: number;
  /** Bytes of frames in flight. */
  pendingBytes: number;
  /** Age of the oldest change the peer does not have yet (ms). */
  lagMs: number;
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  framesRetried: number;
  changesSent: number;
  changesReceived: number;
  /** Shadows the share policy kept from crossing (either way). */
  denied: number;
}

interface InFlight {
  bytes: Uint8Array;
  heads: Map<string, string[]>;
  since: number;
  sentAt: number;
  messages?: RelayedMessage[];
  /** Sent with abbreviated dependency hashes (the peer may refuse it; see onRefused). */
  abbreviated?: boolean;
}

const PERSIST_EVERY_MS = 500;
/** How soon a flush looks again at shadows it skipped because their group commit was running. */
const COMMIT_RECHECK_MS = 20;

export function addrOfKey(key: string): ShadowAddress {
  const at = key.indexOf("/");
  return at < 0 ? { thing: key, shadow: "" } : { thing: key.slice(0, at), shadow: key.slice(at + 1) };
}

/**
 * One relay link to one peer site, independent of the transport (MQTT either way). Keeps the
 * per-peer sync state, flushes dirty shadows as acknowledged, compressed frames under the flush policy
 * and the byte budget, resends unacknowledged frames, and runs digest repair whenever the link opens.
 * Frames received are handled one at a time, in order.
 */
export class RelayLink {
  private readonly known: Map<string, string[]>;
  /** Heads sent but not yet acknowledged: the next frame continues from them. */
  private readonly optimistic = new Map<string, string[]>();
  private readonly dirty: Map<string, number>;
  private readonly inflight = new Map<number, InFlight>();
  private readonly persist = {
    known: new Map<string, string[]>(),
    dirty: new Map<string, number>(),
    clean: new Set<string>(),
  };
  private persistTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private epoch = 0;
  private seq = 0;
  private up = false;
  private lastFlush = 0;
  private tokens = 0;
  private lastRefill = Date.now();
  private outbox: LinkOutbox | undefined;
  /** Highest outbox seq handed to a frame in this link session (the next frame continues after it). */
  private outboxCursor = 0;
  /**
   * Send dependency hashes outside a frame as 4-byte prefixes (the peer resolves them among its
   * changes; they are heads it acknowledged or just received in an earlier frame of this session).
   * Halves the bytes of small updates. Off for the rest of the link session once the peer refuses a
   * frame it could not rebuild: full hashes then take Automerge's missing-dependency repair path.
   */
  private abbreviate = true;
  /** Set by sendChanges when it skipped a shadow whose group commit is still running. */
  private waitingForCommit = false;
  /** The share filter the peer announced in its hello (undefined: none, or none yet). */
  private peerFilter: ThingPattern | undefined;
  private readonly stats_: LinkStats;

  constructor(
    readonly peer: string,
    private readonly deps: LinkDeps,
    private readonly options: LinkOptions,
  ) {
    this.known = deps.state.loadKnown(peer);
    this.dirty = deps.state.loadDirty(peer);
    this.stats_ = {
      peer,
      side: deps.side,
      connected: false,
      lastContact: null,
      pendingChanges: 0,
      pendingBytes: 0,
      lagMs: 0,
      bytesSent: 0,
      bytesReceived: 0,
      framesSent: 0,
      framesReceived: 0,
      framesRetried: 0,
      changesSent: 0,
      changesReceived: 0,
      denied: 0,
    };
  }

  get connected(): boolean {
    return this.up;
  }

  stats(now = Date.now()): LinkStats {
    let oldest = Number.POSITIVE_INFINITY;
    for (const since of this.dirty.values()) oldest = Math.min(oldest, since);
    let bytes = 0;
    const keys = new Set(this.dirty.keys());
    for (const f of this.inflight.values()) {
      oldest = Math.min(oldest, f.since);
      bytes += f.bytes.byteLength;
      for (const k of f.heads.keys()) keys.add(k);
    }
    return {
      ...this.stats_,
      connected: this.up,
      pendingChanges: keys.size,
      pendingBytes: bytes,
      lagMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
    };
  }

  /** Whether shadows of `thing` cross this link (the share policy). */
  shares(thing: string): boolean {
    return this.allows(thing);
  }

  /** What crosses the link outwards and goes into digests: our policy and the peer's announced filter. */
  private allows(thing: string): boolean {
    return this.deps.allows(thing) && (this.peerFilter === undefined || matchesThing(this.peerFilter, thing));
  }

  /** Whether the peer is known to hold `heads` of shadow `key`, or the shadow is on its way. */
  syncState(key: string, heads: readonly string[]): "synced" | "pending" | "unknown" {
    if (this.dirty.has(key)) return "pending";
    for (const f of this.inflight.values()) if (f.heads.has(key)) return "pending";
    const known = this.known.get(key);
    if (known && heads.every((h) => known.includes(h))) return "synced";
    return "unknown";
  }

  /** Plain-topic messages to forward when no shadow is pending (shadows go first). */
  setOutbox(outbox: LinkOutbox): void {
    this.outbox = outbox;
  }

  /** New outbox messages are waiting: flush under the usual policy. */
  poke(): void {
    this.scheduleFlush();
  }

  /**
   * The transport is (re)connected: reset everything per link (sequence, frames in flight, what was
   * assumed sent) and start digest repair. The child calls it on connect; the parent on the child's hello.
   */
  open(): void {
    for (const f of this.inflight.values()) for (const key of f.heads.keys()) this.markDirtyKey(key, f.since);
    this.inflight.clear();
    this.optimistic.clear();
    this.outboxCursor = 0;
    this.abbreviate = true;
    this.epoch = randomInt(1, 2 ** 31);
    this.seq = 0;
    this.up = true;
    this.tokens = 0;
    this.lastRefill = Date.now();
    const spec = this.deps.shareSpec?.();
    this.transmit({
      t: "hello",
      site: this.deps.site,
      epoch: this.epoch,
      v: PROTOCOL_VERSION,
      ...(spec !== undefined ? { things: spec } : {}),
    });
    // The parent knows the child's filter (its hello came first), so its digest goes now; the child
    // sends its digest once the parent's hello has told it the parent's filter (onHello).
    if (this.deps.side === "parent") this.sendDigest();
    this.retryTimer ??= setInterval(() => this.retry(), Math.max(50, this.options.ackTimeoutMs / 2));
    this.retryTimer.unref();
    this.deps.log.info({ peer: this.peer }, "relay link up");
    // What waited while the link was down goes once the peer's digest has arrived (onDigest).
  }

  /** The transport is gone: frames in flight go back to the dirty set. */
  close(): void {
    if (this.up) this.deps.log.info({ peer: this.peer }, "relay link down");
    this.up = false;
    for (const f of this.inflight.values()) for (const key of f.heads.keys()) this.markDirtyKey(key, f.since);
    this.inflight.clear();
    this.optimistic.clear();
    this.outboxCursor = 0;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Stops timers and writes pending state (the node is stopping). */
  shutdown(): Promise<void> {
    this.close();
    const done = this.chain.then(() => this.writeState());
    return done;
  }

  /** A shadow changed locally (or arrived from another peer): the peer may lack it. */
  markDirty(key: string, thing = addrOfKey(key).thing): void {
    if (!this.allows(thing)) return;
    this.markDirtyKey(key, Date.now());
    this.scheduleFlush();
  }

  /**
   * Hands a received frame to the (serial) handler. `plain`: the frame already inflated (by the frame
   * intake, broker/relay/frame-intake.ts); otherwise it is inflated here.
   */
  receive(bytes: Uint8Array, plain?: Buffer): void {
    this.stats_.bytesReceived += bytes.byteLength;
    this.stats_.framesReceived++;
    this.stats_.lastContact = Date.now();
    const options = { resolveDep: (key: string, prefix: string) => this.resolveDep(key, prefix) };
    this.chain = this.chain
      .then(() => this.handle(plain ? parseFrame(plain, options) : decodeFrame(bytes, options)))
      .catch((err) => {
        const refusable = err instanceof FrameError ? err.refusable : undefined;
        const reason = String((err as Error).message).slice(0, 200);
        if (!refusable && this.deps.badFrame) return this.deps.badFrame(reason);
        this.deps.log.warn(
          { peer: this.peer, err: reason, bytes: bytes.byteLength },
          refusable
            ? "relay: change frame refused (the peer will resend with full hashes)"
            : "relay: frame from the peer dropped",
        );
        if (refusable) this.transmit({ t: "ack", ...refusable, refused: true });
      });
  }

  /** An abbreviated dependency of shadow `key`: one of our changes whose hash starts with `prefix`. */
  private resolveDep(key: string, prefix: string): string | undefined {
    return this.deps.store.open(addrOfKey(key)).doc.resolvePrefixes([prefix]).hashes[0];
  }

  /** Resolves when every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  private markDirtyKey(key: string, since: number): void {
    if (this.dirty.has(key)) return;
    this.dirty.set(key, since);
    this.persist.dirty.set(key, since);
    this.persist.clean.delete(key);
    this.persistSoon();
  }

  private clean(key: string): void {
    if (!this.dirty.delete(key)) return;
    this.persist.clean.add(key);
    this.persist.dirty.delete(key);
    this.persistSoon();
  }

  private setKnown(key: string, heads: string[]): void {
    this.known.set(key, heads);
    this.persist.known.set(key, heads);
    const assumed = this.optimistic.get(key);
    if (assumed && sameHeads(assumed, heads)) this.optimistic.delete(key);
    this.persistSoon();
  }

  private persistSoon(): void {
    if (this.persistTimer) return;
    // Batched: each write is an fsync (synchronous=FULL). Losing the last batch in a crash is harmless:
    // the peer's heads are re-learnt by digest repair on the reconnect that follows any restart.
    this.persistTimer = setTimeout(() => this.writeState(), PERSIST_EVERY_MS);
    this.persistTimer.unref();
  }

  private writeState(): void {
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const p = this.persist;
    if (p.known.size + p.dirty.size + p.clean.size === 0) return;
    try {
      this.deps.state.write(this.peer, { known: p.known, dirty: p.dirty, clean: p.clean });
    } catch (err) {
      // Not fatal: digest repair on the next connect recomputes what the peer lacks.
      this.deps.log.error({ peer: this.peer, err }, "relay state write failed");
    }
    p.known.clear();
    p.dirty.clear();
    p.clean.clear();
  }

  private transmit(frame: Frame): Uint8Array | undefined {
    const bytes = encodeFrame(frame, { abbreviateDeps: this.abbreviate });
    if (!this.deps.send(bytes)) return undefined;
    // Control frames (hello, digest, heads, acks) never wait for the budget but are paid from it.
    if (frame.t !== "changes" && frame.t !== "messages") this.spend(bytes.byteLength);
    this.stats_.bytesSent += bytes.byteLength;
    this.stats_.framesSent++;
    return bytes;
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.t) {
      case "hello":
        return this.onHello(frame);
      case "digest":
        return this.onDigest(frame.buckets);
      case "heads":
        return this.onHeads(frame);
      case "changes":
        return this.onChanges(frame);
      case "ack":
        return this.onAck(frame);
      case "messages":
        return this.onMessages(frame);
    }
  }

  private onHello(frame: HelloFrame): void {
    this.stats_.site = frame.site;
    try {
      this.peerFilter = peerFilter(frame.things);
    } catch (err) {
      this.peerFilter = undefined;
      this.deps.log.warn({ peer: this.peer, err: (err as Error).message }, "relay: share filter ignored");
    }
    if (this.deps.side === "parent") this.open();
    else if (this.up) this.sendDigest();
  }

  private sendDigest(): void {
    const shared = this.sharedHeads();
    this.transmit({ t: "digest", buckets: computeDigest(shared, bucketCountFor(shared.length)) });
  }

  /** (key, heads) of every stored shadow this link shares. */
  private sharedHeads(): KeyHeads[] {
    const out: KeyHeads[] = [];
    for (const s of this.deps.store.storedHeads()) {
      if (!this.allows(s.addr.thing)) continue;
      out.push({ key: s.key, heads: s.heads ?? this.deps.store.open(s.addr).doc.heads() });
    }
    return out;
  }

  private onDigest(theirs: string[]): void {
    const count = theirs.length;
    if (count === 0 || (count & (count - 1)) !== 0)
      throw new Error("digest bucket count is not a power of two");
    const shared = this.sharedHeads();
    const differing = differingBuckets(computeDigest(shared, count), theirs);
    const wanted = new Set(differing);
    const heads: Record<string, string[]> = {};
    for (const s of shared) {
      if (wanted.has(bucketOf(s.key, count)))
        heads[s.key] = s.heads.map((h) => h.slice(0, HEAD_PREFIX_CHARS));
      else if (this.dirty.has(s.key) || !this.known.has(s.key)) {
        // Equal buckets: the peer holds exactly these heads (a resend would be wasted).
        this.setKnown(s.key, [...s.heads]);
        this.clean(s.key);
      }
    }
    if (differing.length > 0) this.transmit({ t: "heads", bucketCount: count, buckets: differing, heads });
    // The link is repaired as far as this side can tell: whatever is still dirty goes now.
    this.flushNow();
  }

  /** The peer's heads of the shadows in differing buckets: what it lacks becomes dirty. */
  private onHeads(frame: HeadsFrame): void {
    const listed = new Set<string>();
    for (const [key, prefixes] of Object.entries(frame.heads)) {
      const addr = addrOfKey(key);
      if (!this.allows(addr.thing)) continue;
      listed.add(key);
      const doc = this.deps.store.open(addr).doc;
      const ours = doc.heads();
      const { hashes: heads, missing } = doc.resolvePrefixes(prefixes);
      const prev = this.known.get(key);
      if (missing > 0 && prev && ours.every((h) => prev.includes(h))) {
        // The peer is ahead and has already acknowledged everything we hold: nothing to send; its
        // changes are on their way to us (it got our heads too). Without this, a site that was merely
        // behind would send its whole history of the shadow back.
        this.setKnown(key, [...new Set([...heads, ...ours])]);
        this.clean(key);
        continue;
      }
      this.setKnown(key, heads);
      if (
        (missing === 0 && sameHeads(ours, heads)) ||
        (missing === 0 && doc.changesSince(heads).length === 0)
      )
        this.clean(key);
      else this.markDirtyKey(key, Date.now());
    }
    const buckets = new Set(frame.buckets);
    for (const s of this.sharedHeads()) {
      if (listed.has(s.key) || !buckets.has(bucketOf(s.key, frame.bucketCount))) continue;
      this.setKnown(s.key, []);
      this.markDirtyKey(s.key, Date.now());
    }
    this.flushNow();
  }

  private async onChanges(frame: ChangesFrame): Promise<void> {
    const repair: Record<string, string[]> = {};
    // All shadows of the frame are merged together, so the group commit writes them in one transaction.
    const merged = await Promise.all(
      frame.sets.map((set) => {
        const addr = addrOfKey(set.key);
        if (isValidKey(set.key) && this.deps.allows(addr.thing)) {
          return this.deps.service
            .merge(addr, set.changes, this.peer, frame.shadowEpochs?.[set.key] ?? 0)
            .then((result) => ({ set, addr, result }));
        }
        this.stats_.denied++;
        this.deps.log.warn(
          { peer: this.peer, shadow: set.key.slice(0, 200) },
          "relay: shadow outside the share policy ignored",
        );
        return undefined;
      }),
    );
    for (const m of merged) {
      if (!m) continue;
      const { set, addr, result } = m;
      this.stats_.changesReceived += set.changes.length;
      const theirs = frame.heads[set.key] ?? tipsOf(set.changes);
      if (result.stale) {
        // The peer is in an older epoch: it gets ours from the skeleton, adopts it and carries over.
        this.setKnown(set.key, []);
        this.optimistic.delete(set.key);
        this.markDirty(set.key, addr.thing);
      } else if (result.resend) repair[set.key] = [];
      else if (result.missing) repair[set.key] = result.heads;
      else if (theirs) {
        this.setKnown(set.key, theirs);
        if (!sameHeads(result.heads, theirs)) this.markDirty(set.key, addr.thing);
      }
    }
    const ack: AckFrame = { t: "ack", epoch: frame.epoch, seq: frame.seq };
    if (Object.keys(repair).length > 0) ack.repair = repair;
    this.transmit(ack);
  }

  private onAck(frame: AckFrame): void {
    if (frame.epoch !== this.epoch) return;
    const f = this.inflight.get(frame.seq);
    if (!f) return;
    if (frame.refused) {
      this.onRefused(frame.seq, f);
      return;
    }
    this.inflight.delete(frame.seq);
    if (f.messages) this.outbox?.acked(f.messages);
    for (const [key, heads] of f.heads) {
      this.setKnown(key, heads);
      if (!this.dirty.has(key)) this.persist.clean.add(key);
    }
    if (this.deps.acked) for (const key of f.heads.keys()) this.deps.acked(key);
    for (const [key, heads] of Object.entries(frame.repair ?? {})) {
      this.setKnown(key, heads);
      this.optimistic.delete(key);
      this.markDirtyKey(key, Date.now());
    }
    this.persistSoon();
    this.flushNow();
  }

  /**
   * The peer could not rebuild a frame (it lacks a change we abbreviated a dependency to): resend its
   * shadows from the acknowledged heads with full hashes for the rest of this link session. Refused
   * again with full hashes (a broken peer), the frame stays in flight and the retry timer resends it.
   */
  private onRefused(seq: number, f: InFlight): void {
    if (!f.abbreviated) {
      this.deps.log.error(
        { peer: this.peer, seq },
        "relay: the peer refused a frame with full hashes; it is resent on the ack timeout",
      );
      return;
    }
    if (this.abbreviate) this.deps.log.info({ peer: this.peer }, "relay: full hashes for this link session");
    this.abbreviate = false;
    this.inflight.delete(seq);
    for (const key of f.heads.keys()) {
      this.optimistic.delete(key);
      this.markDirtyKey(key, f.since);
    }
    this.flushNow();
  }

  private async onMessages(frame: MessagesFrame): Promise<void> {
    if (!this.deps.onMessages) {
      this.deps.log.warn({ peer: this.peer }, "relay: plain-topic messages received but not accepted here");
      return;
    }
    await this.deps.onMessages(frame);
    this.transmit({ t: "ack", epoch: frame.epoch, seq: frame.seq });
  }

  private scheduleFlush(): void {
    if (!this.up) return;
    if (this.dirty.size >= this.options.syncMax) {
      this.flushNow();
      return;
    }
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + this.options.syncDeltaMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, wait);
    this.flushTimer.unref();
  }

  private flushNow(): void {
    if (!this.up) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, 0);
    this.flushTimer.unref();
  }

  /** Waits for the byte budget: returns ms to wait, 0 when a frame may go now. */
  private budgetWait(): number {
    const rate = this.options.linkRate;
    if (!rate) return 0;
    const now = Date.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / rate) * 1000);
  }

  private spend(bytes: number): void {
    if (this.options.linkRate) this.tokens -= bytes;
  }

  /** Sends frames while shadows are dirty, the window has room and the budget allows; then messages. */
  private flush(): void {
    if (!this.up) return;
    this.lastFlush = Date.now();
    while (this.inflight.size < this.options.window) {
      const wait = this.budgetWait();
      if (wait > 0) {
        this.flushTimer ??= setTimeout(() => {
          this.flushTimer = undefined;
          this.flush();
        }, wait);
        return;
      }
      this.waitingForCommit = false;
      if (!this.sendChanges() && !this.sendMessages()) {
        // Shadows skipped because their group commit is still running: look again once it has run.
        if (this.waitingForCommit)
          this.flushTimer ??= setTimeout(() => {
            this.flushTimer = undefined;
            this.flush();
          }, COMMIT_RECHECK_MS);
        return;
      }
    }
  }

  private sendChanges(): boolean {
    const sets: ChangesFrame["sets"] = [];
    const heads = new Map<string, string[]>();
    let size = 0;
    let since = Date.now();
    const rest: [string, number][] = [];
    for (const [key, dirtySince] of this.dirty) {
      const addr = addrOfKey(key);
      if (!this.allows(addr.thing)) {
        this.clean(key);
        continue;
      }
      const entry = this.deps.store.open(addr);
      // A change not yet committed must not leave this node: after a crash it would be gone here while
      // the peer holds it, and this node's actor would reuse its sequence number for a different change.
      // It stays dirty and the flush looks again shortly (flush): the commit's `change` event does not
      // reach this link when the change came from this very peer (a merge it is still committing).
      if (entry.pinned > 0) {
        this.waitingForCommit = true;
        continue;
      }
      const doc = entry.doc;
      const base = this.optimistic.get(key) ?? this.known.get(key) ?? [];
      let changes = doc.changesSince(base);
      this.dirty.delete(key); // persistently dirty until acked
      if (changes.length === 0) {
        this.persist.clean.add(key);
        continue;
      }
      let after = doc.heads();
      const room = this.options.maxFrameBytes - size;
      const total = changes.reduce((n, c) => n + c.byteLength, 0);
      if (total > room && (sets.length > 0 || changes.length > 1)) {
        // A long history is sent in causal slices (getChanges is topologically ordered, so a prefix
        // applies on its own); the shadow stays dirty for the rest. Heads then name the slice's tips
        // and the base, so the peer knows exactly what we hold of it.
        let n = 0;
        let bytes = 0;
        while (n < changes.length && bytes + (changes[n] as Uint8Array).byteLength <= room) {
          bytes += (changes[n] as Uint8Array).byteLength;
          n++;
        }
        if (n === 0 && sets.length > 0) {
          this.dirty.set(key, dirtySince);
          break;
        }
        changes = changes.slice(0, Math.max(1, n));
        after = [...new Set([...tipsOf(changes), ...base.filter((h) => doc.hasAll([h]))])];
        rest.push([key, dirtySince]);
      }
      sets.push({ key, changes });
      heads.set(key, after);
      since = Math.min(since, dirtySince);
      for (const c of changes) size += c.byteLength;
      if (size >= this.options.maxFrameBytes) break;
    }
    for (const [key, dirtySince] of rest) this.markDirtyKey(key, dirtySince);
    if (sets.length === 0) return false;
    const seq = ++this.seq;
    // Heads go on the wire only when the receiver cannot compute them from the changes themselves.
    const explicit: Record<string, string[]> = {};
    for (const set of sets) {
      const h = heads.get(set.key) as string[];
      if (!sameHeads(tipsOf(set.changes), h)) explicit[set.key] = h;
    }
    const frame: ChangesFrame = { t: "changes", epoch: this.epoch, seq, sets, heads: explicit };
    const epochs: Record<string, number> = {};
    for (const set of sets) {
      const e = this.deps.store.open(addrOfKey(set.key)).doc.epoch;
      if (e > 0) epochs[set.key] = e;
    }
    if (Object.keys(epochs).length > 0) frame.shadowEpochs = epochs;
    const bytes = this.transmit(frame);
    if (!bytes) {
      for (const key of heads.keys()) this.markDirtyKey(key, since);
      this.up = false;
      return false;
    }
    this.spend(bytes.byteLength);
    for (const [key, h] of heads) this.optimistic.set(key, h);
    for (const s of sets) this.stats_.changesSent += s.changes.length;
    this.inflight.set(seq, { bytes, heads, since, sentAt: Date.now(), abbreviated: this.abbreviate });
    return true;
  }

  private sendMessages(): boolean {
    if (!this.outbox) return false;
    const batch = this.outbox.take(this.options.maxFrameBytes, this.outboxCursor);
    const messages = batch.messages;
    const last = messages[messages.length - 1];
    if (!last) return false;
    const seq = ++this.seq;
    const bytes = this.transmit({
      t: "messages",
      epoch: this.epoch,
      seq,
      sentAt: Date.now(),
      floor: batch.floor,
      messages,
    });
    if (!bytes) return false;
    this.outboxCursor = last.seq;
    this.spend(bytes.byteLength);
    this.inflight.set(seq, { bytes, heads: new Map(), since: Date.now(), sentAt: Date.now(), messages });
    return true;
  }

  /** Resends frames whose ack is overdue (the same bytes: applying twice is a no-op). */
  private retry(): void {
    if (!this.up) return;
    const now = Date.now();
    for (const f of this.inflight.values()) {
      if (now - f.sentAt < this.options.ackTimeoutMs) continue;
      // Resends share the byte budget: on a congested slow link they would otherwise add to the very
      // queue that delayed the ack. What must wait goes on a later tick of this timer.
      if (this.budgetWait() > 0) return;
      if (!this.deps.send(f.bytes)) return;
      this.spend(f.bytes.byteLength);
      f.sentAt = now;
      this.stats_.framesRetried++;
      this.stats_.bytesSent += f.bytes.byteLength;
    }
  }
}
