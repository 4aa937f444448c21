import type { Db } from "../store/database.ts";

/**
 * What this node persists per peer site: for each shadow, the heads the peer is known to hold (advanced
 * only by an ack or by the peer's own frames) and whether the shadow has changes the peer may lack
 * (the dirty set). Both survive restarts; digest repair on every reconnect corrects anything stale.
 */
export class PeerStateStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      known: db.prepare("SELECT key, heads FROM relay_known WHERE peer = ?"),
      setKnown: db.prepare(
        "INSERT INTO relay_known (peer, key, heads) VALUES (?, ?, ?) ON CONFLICT (peer, key) DO UPDATE SET heads = excluded.heads",
      ),
      dirty: db.prepare("SELECT key, since FROM relay_dirty WHERE peer = ?"),
      addDirty: db.prepare("INSERT OR IGNORE INTO relay_dirty (peer, key, since) VALUES (?, ?, ?)"),
      clearDirty: db.prepare("DELETE FROM relay_dirty WHERE peer = ? AND key = ?"),
    };
  }

  loadKnown(peer: string): Map<string, string[]> {
    const rows = this.q.known.all(peer) as { key: string; heads: string }[];
    return new Map(rows.map((r) => [r.key, r.heads ? r.heads.split(",") : []]));
  }

  loadDirty(peer: string): Map<string, number> {
    const rows = this.q.dirty.all(peer) as { key: string; since: number }[];
    return new Map(rows.map((r) => [r.key, r.since]));
  }

  /** Writes a batch of changes to one peer's state in one transaction. */
  write(
    peer: string,
    batch: {
      known?: Iterable<[string, readonly string[]]>;
      dirty?: Iterable<[string, number]>;
      clean?: Iterable<string>;
    },
  ): void {
    this.db.transaction(() => {
      for (const [key, heads] of batch.known ?? []) this.q.setKnown.run(peer, key, heads.join(","));
      for (const [key, since] of batch.dirty ?? []) this.q.addDirty.run(peer, key, since);
      for (const key of batch.clean ?? []) this.q.clearDirty.run(peer, key);
    })();
  }
}
