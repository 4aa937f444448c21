import { tipsOf } from "../../shared/relay/heads.ts";
import type { ChangesFrame } from "../../shared/relay/protocol.ts";
import { sameHeads } from "../shadow/shadow-doc.ts";

/** One shadow offered to a frame: its changes the peer lacks, in causal (topological) order. */
export interface PackOffer {
  key: string;
  /** Since when the shadow has been dirty. */
  since: number;
  changes: Uint8Array[];
  /** The heads the peer is assumed to hold (the changes continue from them). */
  base: readonly string[];
  /** Our current heads of the shadow (what the peer holds once it has every change offered). */
  heads(): string[];
  /** Whether we hold all of `hashes` (a base head we no longer hold is not named in sliced heads). */
  hasAll(hashes: string[]): boolean;
}

/** What became of an offer: all of it went in, a causal prefix went in (the rest stays dirty), or none. */
export type PackResult = "whole" | "slice" | "deferred";

/**
 * Packs the change sets of one `changes` frame under a byte budget (`maxFrameBytes` of raw changes),
 * shadow by shadow in the order offered. Pure: no store, no clock, no I/O.
 *
 * A shadow whose changes exceed the room left goes in causal slices: getChanges is topologically
 * ordered, so a prefix applies on its own. Its heads then name the slice's tips plus the base, so the
 * peer knows exactly what we hold of it. A shadow always gets at least one change into an empty
 * frame (a single change larger than the budget still travels).
 */
export class ChangeFramePacker {
  readonly sets: ChangesFrame["sets"] = [];
  /** Per shadow packed, the heads the peer holds once it has applied the frame. */
  readonly heads = new Map<string, string[]>();
  private size = 0;
  private oldest = Number.POSITIVE_INFINITY;

  constructor(private readonly maxFrameBytes: number) {}

  /** The frame has reached its budget: offer nothing more. */
  get full(): boolean {
    return this.size >= this.maxFrameBytes;
  }

  get empty(): boolean {
    return this.sets.length === 0;
  }

  /** Bytes of raw changes packed. */
  get bytes(): number {
    return this.size;
  }

  /** The earliest `since` of the shadows packed (`fallback` when none). */
  since(fallback: number): number {
    return Math.min(fallback, this.oldest);
  }

  offer(o: PackOffer): PackResult {
    let changes = o.changes;
    let after: string[] | undefined;
    const room = this.maxFrameBytes - this.size;
    const total = changes.reduce((n, c) => n + c.byteLength, 0);
    let result: PackResult = "whole";
    if (total > room && (this.sets.length > 0 || changes.length > 1)) {
      let n = 0;
      let bytes = 0;
      while (n < changes.length && bytes + (changes[n] as Uint8Array).byteLength <= room) {
        bytes += (changes[n] as Uint8Array).byteLength;
        n++;
      }
      if (n === 0 && this.sets.length > 0) return "deferred";
      changes = changes.slice(0, Math.max(1, n));
      after = [...new Set([...tipsOf(changes), ...o.base.filter((h) => o.hasAll([h]))])];
      result = "slice";
    }
    this.sets.push({ key: o.key, changes });
    this.heads.set(o.key, after ?? o.heads());
    this.oldest = Math.min(this.oldest, o.since);
    for (const c of changes) this.size += c.byteLength;
    return result;
  }

  /**
   * The heads that must go on the wire: only where the receiver cannot compute them from the changes
   * of the set themselves (shared/relay/heads.ts tipsOf).
   */
  explicitHeads(): Record<string, string[]> {
    const explicit: Record<string, string[]> = {};
    for (const set of this.sets) {
      const h = this.heads.get(set.key) as string[];
      if (!sameHeads(tipsOf(set.changes), h)) explicit[set.key] = h;
    }
    return explicit;
  }
}
