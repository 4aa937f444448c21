import { randomInt } from "node:crypto";
import { type Clock, systemClock } from "../../shared/clock.ts";
import { matchesThing, type ThingPattern } from "../../shared/glob.ts";
import { HEADS_PAGE_BYTES } from "../../shared/relay/heads-pages.ts";
import {
  decodeFrame,
  type Frame,
  FrameError,
  PROTOCOL_VERSION,
  parseFrame,
  type RelayedMessage,
} from "../../shared/relay/protocol.ts";
import { peerFilter } from "../../shared/relay/share-filter.ts";
import { EpochSplits } from "./epoch-split.ts";
import type { SharedHeads } from "./handlers/context.ts";
import { digestFrame, sharedHeads } from "./handlers/digest.ts";
import { handleFrame, type LinkContext } from "./handlers/index.ts";
import { LinkSender } from "./link-sender.ts";
import {
  addrOfKey,
  type LinkCounters,
  type LinkDeps,
  type LinkOptions,
  type LinkOutbox,
  type LinkStats,
} from "./link-types.ts";
import { PeerSync } from "./peer-sync.ts";
import type { SendWindow } from "./send-window.ts";

export { addrOfKey, type LinkDeps, type LinkOptions, type LinkOutbox, type LinkStats } from "./link-types.ts";

/**
 * One relay link to one peer site, independent of the transport (MQTT either way): the coordinator of
 * the per-peer sync state (peer-sync.ts), the sending half (link-sender.ts: flush policy, send window,
 * byte budget, resends) and one handler per frame kind (handlers/). It runs digest repair whenever
 * the link opens; frames received are handled one at a time, in order.
 */
export class RelayLink implements LinkContext {
  readonly clock: Clock;
  readonly sync: PeerSync;
  readonly headsPageBytes: number;
  readonly counters: LinkCounters;
  private readonly sender: LinkSender;
  private readonly splits: EpochSplits;
  private chain: Promise<void> = Promise.resolve();
  /** The share filter the peer announced in its hello (undefined: none, or none yet). */
  private peerFilter: ThingPattern | undefined;
  /**
   * Things the peer asked us not to cut in its last hello. Kept while the link is down: the child's
   * other parent still cuts them (lost on restart until the child says hello again).
   */
  private peerNoCut: ThingPattern | undefined;

  constructor(
    readonly peer: string,
    readonly deps: LinkDeps,
    options: LinkOptions,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.headsPageBytes = options.headsPageBytes ?? HEADS_PAGE_BYTES;
    this.sync = new PeerSync(peer, deps.state, this.clock, deps.log);
    this.counters = {
      peer,
      side: deps.side,
      lastContact: null,
      bytesSent: 0,
      bytesReceived: 0,
      framesSent: 0,
      framesReceived: 0,
      framesRetried: 0,
      changesSent: 0,
      changesReceived: 0,
      denied: 0,
    };
    this.splits = new EpochSplits(peer, deps.log, this.clock, (thing) => deps.peersSharing?.(thing) ?? []);
    this.sender = new LinkSender(deps, options, this.sync, this.counters, this.clock, (thing) =>
      this.allows(thing),
    );
  }

  get connected(): boolean {
    return this.sender.up;
  }

  get up(): boolean {
    return this.sender.up;
  }

  get window(): SendWindow {
    return this.sender.window;
  }

  stats(now = this.clock.now()): LinkStats {
    let oldest = Number.POSITIVE_INFINITY;
    for (const since of this.sync.dirty.values()) oldest = Math.min(oldest, since);
    const inFlight = this.window.load();
    const keys = new Set([...this.sync.dirty.keys(), ...inFlight.keys]);
    oldest = Math.min(oldest, inFlight.oldest);
    return {
      ...this.counters,
      connected: this.up,
      pendingChanges: keys.size,
      pendingBytes: inFlight.bytes,
      lagMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
      epochSplits: this.splits.count,
      splitShadows: this.splits.shadows,
    };
  }

  /** Whether shadows of `thing` cross this link (the share policy). */
  shares(thing: string): boolean {
    return this.allows(thing);
  }

  /** What crosses the link outwards and goes into digests: our policy and the peer's announced filter. */
  allows(thing: string): boolean {
    return this.deps.allows(thing) && (this.peerFilter === undefined || matchesThing(this.peerFilter, thing));
  }

  setPeerFilter(spec: string | undefined): void {
    this.peerFilter = spec === undefined ? undefined : peerFilter(spec);
  }

  setPeerNoCut(spec: string | undefined): void {
    this.peerNoCut = spec === undefined ? undefined : peerFilter(spec);
  }

  /** Whether the peer asked us not to cut shadows of `thing` (another parent of it cuts them). */
  holdsBackCut(thing: string): boolean {
    return this.peerNoCut !== undefined && matchesThing(this.peerNoCut, thing);
  }

  /** Whether the peer is known to hold `heads` of shadow `key`, or the shadow is on its way. */
  syncState(key: string, heads: readonly string[]): "synced" | "pending" | "unknown" {
    if (this.sync.dirty.has(key) || this.window.carries(key)) return "pending";
    return this.sync.holds(key, heads) ? "synced" : "unknown";
  }

  /** Plain-topic messages to forward when no shadow is pending (shadows go first). */
  setOutbox(outbox: LinkOutbox): void {
    this.sender.outbox = outbox;
  }

  /** New outbox messages are waiting: flush under the usual policy. */
  poke(): void {
    this.sender.schedule();
  }

  /**
   * The transport is (re)connected: reset everything per link (sequence, frames in flight, what was
   * assumed sent) and start digest repair. The child calls it on connect; the parent on the child's hello.
   */
  open(): void {
    this.sender.start(randomInt(1, 2 ** 31));
    const spec = this.deps.shareSpec?.();
    const noCut = this.deps.noCutSpec?.();
    this.transmit({
      t: "hello",
      site: this.deps.site,
      epoch: this.window.epoch,
      v: PROTOCOL_VERSION,
      ...(spec !== undefined ? { things: spec } : {}),
      ...(noCut !== undefined ? { noCut } : {}),
    });
    // The parent knows the child's filter (its hello came first), so its digest goes now; the child
    // sends its digest once the parent's hello has told it the parent's filter (handlers/hello.ts).
    if (this.deps.side === "parent") this.sendDigest();
    this.deps.log.info({ peer: this.peer }, "relay link up");
    // What waited while the link was down goes once the peer's digest has arrived (handlers/digest.ts).
  }

  /** The transport is gone: frames in flight go back to the dirty set. */
  close(): void {
    if (this.up) this.deps.log.info({ peer: this.peer }, "relay link down");
    this.sender.stop();
  }

  /** Stops timers and writes pending state (the node is stopping). */
  shutdown(): Promise<void> {
    this.close();
    return this.chain.then(() => this.sync.save());
  }

  /** A shadow changed locally (or arrived from another peer): the peer may lack it. */
  markDirty(key: string, thing = addrOfKey(key).thing): void {
    if (!this.allows(thing)) return;
    this.sync.markDirty(key, this.clock.now());
    this.sender.schedule();
  }

  /**
   * Hands a received frame to the (serial) handler. `plain`: the frame already inflated (by the frame
   * intake, broker/relay/frame-intake.ts); otherwise it is inflated here.
   */
  receive(bytes: Uint8Array, plain?: Buffer): void {
    this.counters.bytesReceived += bytes.byteLength;
    this.counters.framesReceived++;
    this.counters.lastContact = this.clock.now();
    const options = { resolveDep: (key: string, prefix: string) => this.resolveDep(key, prefix) };
    this.chain = this.chain
      .then(() => handleFrame(this, plain ? parseFrame(plain, options) : decodeFrame(bytes, options)))
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

  /** Resolves when every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** An abbreviated dependency of shadow `key`: one of our changes whose hash starts with `prefix`. */
  private resolveDep(key: string, prefix: string): string | undefined {
    return this.deps.store.open(addrOfKey(key)).doc.resolvePrefixes([prefix]).hashes[0];
  }

  transmit(frame: Frame): Uint8Array | undefined {
    return this.sender.transmit(frame);
  }

  flushNow(): void {
    this.sender.flushNow();
  }

  sharedHeads(): SharedHeads[] {
    return sharedHeads(this);
  }

  sendDigest(): void {
    this.transmit(digestFrame(this.sharedHeads()));
  }

  useFullHashes(): void {
    if (this.sender.abbreviate)
      this.deps.log.info({ peer: this.peer }, "relay: full hashes for this link session");
    this.sender.abbreviate = false;
  }

  epochSplit(key: string, thing: string, epoch: number): void {
    this.splits.seen(key, thing, epoch);
  }

  messagesAcked(messages: RelayedMessage[]): void {
    this.sender.outbox?.acked(messages);
  }
}
