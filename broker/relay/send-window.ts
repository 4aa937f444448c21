import type { RelayedMessage } from "../../shared/relay/protocol.ts";

/** A frame sent and not yet acknowledged. */
export interface InFlight {
  bytes: Uint8Array;
  /** Per shadow, the heads the peer holds once it has applied the frame. */
  heads: Map<string, string[]>;
  /** Since when the oldest change of the frame has waited for the peer. */
  since: number;
  sentAt: number;
  messages?: RelayedMessage[];
  /** Sent with abbreviated dependency hashes (the peer may refuse it; handlers/ack.ts). */
  abbreviated?: boolean;
}

/**
 * The frames of one link session in flight, by sequence number, at most `size` of them. A session
 * (`restart`) has a random epoch the peer echoes in its acks, so an ack of an earlier session never
 * matches a frame of this one.
 */
export class SendWindow {
  private readonly frames = new Map<number, InFlight>();
  private seq = 0;
  epoch = 0;

  constructor(readonly size: number) {}

  get full(): boolean {
    return this.frames.size >= this.size;
  }

  /** A new session: the frames in flight are returned (their shadows go back to the dirty set). */
  restart(epoch: number): InFlight[] {
    const dropped = this.drain();
    this.epoch = epoch;
    this.seq = 0;
    return dropped;
  }

  /** Empties the window (the link is down); returns what was in it. */
  drain(): InFlight[] {
    const dropped = [...this.frames.values()];
    this.frames.clear();
    return dropped;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  add(seq: number, frame: InFlight): void {
    this.frames.set(seq, frame);
  }

  /** The frame `seq` of the current session, if still in flight. */
  get(epoch: number, seq: number): InFlight | undefined {
    return epoch === this.epoch ? this.frames.get(seq) : undefined;
  }

  remove(seq: number): void {
    this.frames.delete(seq);
  }

  /** Whether a frame in flight carries changes of `key`. */
  carries(key: string): boolean {
    for (const f of this.frames.values()) if (f.heads.has(key)) return true;
    return false;
  }

  /** Frames whose ack is overdue at `now`, oldest sequence first. */
  overdue(now: number, timeoutMs: number): InFlight[] {
    return [...this.frames.values()].filter((f) => now - f.sentAt >= timeoutMs);
  }

  /** Shadows, bytes and the oldest wait of what is in flight. */
  load(): { keys: Set<string>; bytes: number; oldest: number } {
    const keys = new Set<string>();
    let bytes = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const f of this.frames.values()) {
      oldest = Math.min(oldest, f.since);
      bytes += f.bytes.byteLength;
      for (const k of f.heads.keys()) keys.add(k);
    }
    return { keys, bytes, oldest };
  }
}
