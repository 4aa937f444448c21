import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/logger.ts";
import { sameHeads } from "../shadow/shadow-doc.ts";
import type { PeerStateStore } from "./peer-state.ts";

const PERSIST_EVERY_MS = 500;

/**
 * What one link knows of its peer, per shadow: the heads the peer is known to hold (`known`, advanced
 * by acks and the peer's own frames), the heads sent but not yet acknowledged (`optimistic`: the next
 * frame continues from them) and the shadows that may have changes the peer lacks (`dirty`, with the
 * time they became so). `known` and `dirty` are persisted (peer-state.ts) in batches.
 */
export class PeerSync {
  readonly known: Map<string, string[]>;
  readonly optimistic = new Map<string, string[]>();
  private readonly dirtySet: Map<string, number>;
  private readonly unsaved = {
    known: new Map<string, string[]>(),
    dirty: new Map<string, number>(),
    clean: new Set<string>(),
  };
  private cancelWrite: (() => void) | undefined;

  constructor(
    private readonly peer: string,
    private readonly store: Pick<PeerStateStore, "loadKnown" | "loadDirty" | "write">,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.known = store.loadKnown(peer);
    this.dirtySet = store.loadDirty(peer);
  }

  /** Dirty shadows and since when, oldest first (insertion order). */
  get dirty(): ReadonlyMap<string, number> {
    return this.dirtySet;
  }

  /** The heads the next frame of `key` continues from. */
  baseOf(key: string): string[] {
    return this.optimistic.get(key) ?? this.known.get(key) ?? [];
  }

  /** `key` may have changes the peer lacks (kept at the earliest time). */
  markDirty(key: string, since: number): void {
    if (this.dirtySet.has(key)) return;
    this.dirtySet.set(key, since);
    this.unsaved.dirty.set(key, since);
    this.unsaved.clean.delete(key);
    this.saveSoon();
  }

  /** The peer holds everything of `key`. */
  clean(key: string): void {
    if (!this.dirtySet.delete(key)) return;
    this.unsaved.clean.add(key);
    this.unsaved.dirty.delete(key);
    this.saveSoon();
  }

  setKnown(key: string, heads: string[]): void {
    this.known.set(key, heads);
    this.unsaved.known.set(key, heads);
    const assumed = this.optimistic.get(key);
    if (assumed && sameHeads(assumed, heads)) this.optimistic.delete(key);
    this.saveSoon();
  }

  /**
   * `key` leaves the dirty set for a frame. It stays dirty on disk until the frame is acknowledged
   * (`acked`), or, when there was nothing to send (`nothingToSend`), until the next write.
   */
  takeForFrame(key: string): void {
    this.dirtySet.delete(key);
  }

  /** Back into the dirty set after `takeForFrame` without a frame (still dirty on disk). */
  putBack(key: string, since: number): void {
    this.dirtySet.set(key, since);
  }

  /**
   * Nothing of `key` is missing at the peer. When no frame is in flight the base was acknowledged
   * heads, so the peer holds `heads` too: recorded, and true (the agreed cut may look again).
   */
  nothingToSend(key: string, heads: readonly string[]): boolean {
    this.unsaved.clean.add(key);
    if (this.optimistic.has(key)) return false;
    const known = this.known.get(key) ?? [];
    if (!heads.every((h) => known.includes(h))) this.setKnown(key, [...new Set([...known, ...heads])]);
    return true;
  }

  /** The peer acknowledged `heads` of `key`. */
  acked(key: string, heads: string[]): void {
    const known = this.known.get(key);
    if (!known || !heads.every((h) => known.includes(h))) this.setKnown(key, heads);
    if (!this.dirtySet.has(key)) this.unsaved.clean.add(key);
  }

  /** Whether the peer holds `heads` of `key` as far as acks tell (the frames in flight aside). */
  holds(key: string, heads: readonly string[]): boolean {
    const known = this.known.get(key);
    return known !== undefined && heads.every((h) => known.includes(h));
  }

  /** Batched: each write is an fsync (synchronous=FULL). */
  saveSoon(): void {
    if (this.cancelWrite) return;
    // Losing the last batch in a crash is harmless: the peer's heads are re-learnt by digest repair on
    // the reconnect that follows any restart.
    this.cancelWrite = this.clock.after(PERSIST_EVERY_MS, () => this.save());
  }

  save(): void {
    this.cancelWrite?.();
    this.cancelWrite = undefined;
    const u = this.unsaved;
    if (u.known.size + u.dirty.size + u.clean.size === 0) return;
    try {
      this.store.write(this.peer, { known: u.known, dirty: u.dirty, clean: u.clean });
    } catch (err) {
      // Not fatal: digest repair on the next connect recomputes what the peer lacks.
      this.log.error({ peer: this.peer, err }, "relay state write failed");
    }
    u.known.clear();
    u.dirty.clear();
    u.clean.clear();
  }
}
