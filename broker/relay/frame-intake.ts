import { type Clock, systemClock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/logger.ts";
import { FrameBombError, inflateFrame } from "../../shared/relay/frame-inflate.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";

/** Bounds on what one peer's frames may cost this node (derived from the link's frame limit). */
export interface IntakePolicy {
  /**
   * A frame inflating past this is a bomb: dropped mid-inflation, and the peer is cut off. It bounds
   * every kind, `heads` too (digest repair pages them, shared/relay/heads-pages.ts).
   */
  maxInflatedBytes: number;
  /**
   * Inflated bytes per second a peer may make this node parse; more waits (backpressure, not loss).
   * One second of it may be spent at once.
   */
  costPerSecond: number;
  /** Frames waiting per peer; beyond it a frame is dropped (the peer resends what is not acknowledged). */
  maxQueued: number;
  /** Refused frames within `windowMs` after which the peer is cut off. */
  badFramesToCut: number;
  windowMs: number;
  /** How long a cut-off peer's frames are ignored (its connection is closed at once). */
  cutOffMs: number;
}

/**
 * Frames of a normal link: changes and messages ≤ maxFrameBytes (+ one shadow), digests ≤ 8192
 * buckets, heads pages ≤ 512 KiB of JSON.
 */
export function intakePolicy(maxFrameBytes: number): IntakePolicy {
  return {
    maxInflatedBytes: Math.max(1024 * 1024, 16 * maxFrameBytes),
    costPerSecond: 8 * 1024 * 1024,
    maxQueued: 32,
    badFramesToCut: 10,
    windowMs: 60_000,
    cutOffMs: 60_000,
  };
}

export interface IntakeDeps {
  log: Logger;
  /** Hands an inflated frame to the link; resolves once it is handled. */
  deliver(bytes: Uint8Array, plain: Buffer): Promise<void>;
  /** The peer is cut off: close its connection. */
  cutOff(reason: string): void;
  /** Time and timers; the system clock by default. */
  clock?: Clock;
}

export interface IntakeStats {
  /** Frames refused (corrupt, malformed, too big, or arriving while the peer is cut off or the queue full). */
  refused: number;
  /** Times this peer was cut off. */
  cutOffs: number;
}

const HEADS_PREFIX = Buffer.from('{"t":"heads"');

/**
 * The way in for one peer's frames, before its RelayLink: frames are inflated one at a time on the
 * thread pool with a cap (shared/relay/frame-inflate.ts), their inflated size checked against the
 * link's frame limit, and the parse cost paid from a byte budget. A peer that sends a bomb, or keeps
 * sending frames this node refuses, is cut off for a while; each such episode is logged once, and
 * refused frames are summarised (one line per window), so a hostile peer cannot flood the log.
 */
export class FrameIntake {
  private readonly queue: Uint8Array[] = [];
  private running = false;
  /** The parse cost budget: inflated bytes, `costPerSecond` refilled, as deep. */
  private readonly budget: TokenBucket;
  private cutUntil = 0;
  private bad: number[] = [];
  private quietSince = 0;
  private quietCount = 0;
  readonly stats: IntakeStats = { refused: 0, cutOffs: 0 };
  private readonly clock: Clock;

  constructor(
    readonly peer: string,
    private readonly policy: IntakePolicy,
    private readonly deps: IntakeDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.budget = new TokenBucket(
      policy.costPerSecond,
      Math.max(policy.costPerSecond, policy.maxInflatedBytes),
      this.clock.now(),
    );
  }

  /** Whether the peer is cut off now. */
  get isCutOff(): boolean {
    return this.clock.now() < this.cutUntil;
  }

  push(bytes: Uint8Array): void {
    if (this.isCutOff) {
      this.stats.refused++;
      this.deps.cutOff("still cut off");
      return;
    }
    if (this.queue.length >= this.policy.maxQueued) {
      this.refuse("queue full: frame dropped (the peer resends it)", false);
      return;
    }
    this.queue.push(bytes);
    if (!this.running) void this.run();
  }

  /** A frame the link could not use (malformed header, bad change batch): counts towards a cut-off. */
  refused(reason: string): void {
    this.refuse(reason, true);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let bytes = this.queue.shift(); bytes; bytes = this.queue.shift()) {
        if (this.isCutOff) {
          this.stats.refused++;
          continue;
        }
        await this.waitForBudget();
        await this.one(bytes);
      }
    } finally {
      this.running = false;
    }
  }

  private async one(bytes: Uint8Array): Promise<void> {
    let plain: Buffer;
    let heads = false;
    try {
      plain = await inflateFrame(bytes, this.policy.maxInflatedBytes, (head) => {
        heads = isHeadsFrame(head);
        return this.policy.maxInflatedBytes;
      });
    } catch (err) {
      // A peer from before paged digest repair sends all its heads in one frame: refused (counted,
      // named), not taken for a bomb. It costs us at most the cap, like any refused frame.
      if (err instanceof FrameBombError && heads)
        return this.refuse(
          `an unpaged heads frame over ${this.policy.maxInflatedBytes} bytes (a peer older than paged digest repair: upgrade it)`,
          true,
        );
      if (err instanceof FrameBombError) return this.cut(`decompression bomb (${err.message})`);
      return this.refuse((err as Error).message, true);
    }
    this.budget.spend(plain.byteLength);
    await this.deps.deliver(bytes, plain);
  }

  private async waitForBudget(): Promise<void> {
    for (let ms = this.budget.waitMs(this.clock.now()); ms > 0; ms = this.budget.waitMs(this.clock.now()))
      await new Promise<void>((r) => this.clock.after(Math.min(ms, 1000), r));
  }

  private refuse(reason: string, counts: boolean): void {
    this.stats.refused++;
    const now = this.clock.now();
    if (counts) {
      this.bad = this.bad.filter((t) => now - t < this.policy.windowMs);
      this.bad.push(now);
      if (this.bad.length >= this.policy.badFramesToCut) {
        this.cut(
          `${this.bad.length} refused frames within ${this.policy.windowMs / 1000} s (last: ${reason})`,
        );
        return;
      }
    }
    // Each refusal at debug; at warn the first of a window with its reason, the rest in one line.
    this.deps.log.debug({ peer: this.peer, reason: reason.slice(0, 200) }, "relay: frame refused");
    if (now - this.quietSince >= this.policy.windowMs) {
      if (this.quietCount > 0)
        this.deps.log.warn(
          { peer: this.peer, refused: this.quietCount },
          "relay: more frames from the peer refused",
        );
      this.quietSince = now;
      this.quietCount = 0;
      this.deps.log.warn(
        { peer: this.peer, reason: reason.slice(0, 200) },
        "relay: frame from the peer refused (further ones are counted, umbra_relay_frames_refused_total)",
      );
    } else this.quietCount++;
  }

  private cut(reason: string): void {
    this.stats.refused++;
    this.stats.cutOffs++;
    this.cutUntil = this.clock.now() + this.policy.cutOffMs;
    this.bad = [];
    this.queue.length = 0;
    this.deps.log.warn(
      { peer: this.peer, reason: reason.slice(0, 200), seconds: this.policy.cutOffMs / 1000 },
      "relay: peer cut off",
    );
    this.deps.cutOff(reason);
  }
}

function isHeadsFrame(head: Buffer): boolean {
  return (
    head.byteLength >= 4 + HEADS_PREFIX.byteLength &&
    head.subarray(4, 4 + HEADS_PREFIX.byteLength).equals(HEADS_PREFIX)
  );
}
