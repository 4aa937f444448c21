/**
 * Sparkplug `seq`: every message of an edge node session except NDEATH carries the next value of
 * one counter, 0-255 wrapping to 0; NBIRTH starts (or restarts) the session with any value (Tahu
 * and Sparkplug 3.0 edge nodes send 0). A value other than the next one means messages were lost
 * or reordered, and the host must ask for a rebirth to get a consistent picture again.
 */
export const SEQ_MODULUS = 256;

export function nextSeq(seq: number): number {
  return (seq + 1) % SEQ_MODULUS;
}

export function isValidSeq(seq: number | undefined): seq is number {
  return seq !== undefined && Number.isInteger(seq) && seq >= 0 && seq < SEQ_MODULUS;
}

/** Tracks one edge node session's counter. */
export class SeqTracker {
  private last: number | undefined;

  /** NBIRTH: the session starts at `seq`. */
  reset(seq: number): void {
    this.last = seq;
  }

  /**
   * Accepts the seq of a non-birth message. Returns false on a gap (or a missing/invalid seq, or no
   * birth yet); the counter then follows the received value, so one lost message is one gap.
   */
  accept(seq: number | undefined): boolean {
    if (!isValidSeq(seq)) return false;
    const ok = this.last !== undefined && seq === nextSeq(this.last);
    this.last = seq;
    return ok;
  }

  get current(): number | undefined {
    return this.last;
  }
}
