import type { Presence } from "../shared/shadow-document.ts";
import { WalSync } from "./shadow/wal-sync.ts";
import type { Db } from "./store/database.ts";

/**
 * Presence of things: a connected device identity (or, with anonymous access, a client whose id is a
 * thing name; Sparkplug edge nodes and devices through their births and deaths). Kept in SQLite so that after a restart
 * every thing that was connected is announced as disconnected (its session ended with the process).
 */
export class PresenceTracker {
  private readonly q;
  private readonly pending = new Map<string, Presence>();
  /** Presence not yet written, so reads see it before the batch is flushed. */
  private readonly latest = new Map<string, Presence>();
  /** Runs a transaction without an fsync of its own (WalSync.relaxedWrites). */
  private readonly relaxed: <T>(write: () => T) => T;

  constructor(
    private readonly db: Db,
    private readonly site: string,
    private readonly announce: (thing: string, presence: Presence) => void,
  ) {
    this.relaxed = WalSync.relaxedWrites(db);
    this.q = {
      get: db.prepare("SELECT connected, since, site FROM presence WHERE thing = ?"),
      put: db.prepare(
        `INSERT INTO presence (thing, connected, since, site) VALUES (?, ?, ?, ?)
         ON CONFLICT (thing) DO UPDATE SET connected = excluded.connected, since = excluded.since, site = excluded.site`,
      ),
      stale: db.prepare("SELECT thing FROM presence WHERE connected = 1 AND site = ?"),
    };
  }

  /**
   * Combines this node's own presence of a thing with what other capabilities know (the fleet: the
   * presence relayed from other sites); `shown` applies it.
   */
  resolve: (thing: string, own: Presence | undefined) => Presence | undefined = (_thing, own) => own;

  /** The presence the node shows (GET shadow's `connection`, the console): see `resolve`. */
  shown(thing: string): Presence | undefined {
    return this.resolve(thing, this.get(thing));
  }

  get(thing: string): Presence | undefined {
    const unwritten = this.latest.get(thing);
    if (unwritten) return unwritten;
    const row = this.q.get.get(thing) as { connected: number; since: number; site: string } | undefined;
    return row && { connected: row.connected === 1, since: row.since, site: row.site };
  }

  /**
   * Records and announces a connect or disconnect. Writes are batched into one transaction per
   * event-loop turn, so a reconnect storm of thousands of devices costs a few fsyncs, not thousands.
   */
  set(thing: string, connected: boolean): void {
    const presence: Presence = { connected, since: Math.floor(Date.now() / 1000), site: this.site };
    this.latest.set(thing, presence);
    if (!this.db.open) return;
    if (this.pending.size === 0) setImmediate(() => this.flush());
    this.pending.set(thing, presence);
    this.announce(thing, presence);
  }

  /**
   * Writes pending presence changes (also called on shutdown), without an fsync of their own
   * (`synchronous=NORMAL`, WalSync.relaxed): a reconnect storm used to fsync on the main thread once
   * per event-loop turn (1.4 s of the main thread for 2,000 connects, docs/benchmarks.md). A process
   * crash loses nothing (the frames are in the WAL); a power cut may lose the last ones not yet made
   * durable by the next shadow commit's fdatasync — presence was announced before it was written anyway.
   */
  flush(): void {
    if (this.pending.size === 0 || !this.db.open) return;
    const batch = [...this.pending];
    this.pending.clear();
    const write = this.db.transaction(() => {
      for (const [thing, p] of batch) this.q.put.run(thing, p.connected ? 1 : 0, p.since, p.site);
    });
    this.relaxed(write);
    for (const [thing, p] of batch) if (this.latest.get(thing) === p) this.latest.delete(thing);
  }

  /** At start-up: sessions of the previous process are gone. */
  markAllDisconnected(): void {
    for (const { thing } of this.q.stale.all(this.site) as { thing: string }[]) this.set(thing, false);
  }
}
