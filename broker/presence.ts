import type { Presence } from "../shared/shadow-document.ts";
import type { Db } from "./store/database.ts";

/**
 * Presence of things whose MQTT client id is their thing name. Kept in SQLite so that after a restart
 * every thing that was connected is announced as disconnected (its session ended with the process).
 */
export class PresenceTracker {
  private readonly q;

  constructor(
    db: Db,
    private readonly site: string,
    private readonly announce: (thing: string, presence: Presence) => void,
  ) {
    this.q = {
      get: db.prepare("SELECT connected, since, site FROM presence WHERE thing = ?"),
      put: db.prepare(
        `INSERT INTO presence (thing, connected, since, site) VALUES (?, ?, ?, ?)
         ON CONFLICT (thing) DO UPDATE SET connected = excluded.connected, since = excluded.since, site = excluded.site`,
      ),
      stale: db.prepare("SELECT thing FROM presence WHERE connected = 1 AND site = ?"),
    };
  }

  get(thing: string): Presence | undefined {
    const row = this.q.get.get(thing) as { connected: number; since: number; site: string } | undefined;
    return row && { connected: row.connected === 1, since: row.since, site: row.site };
  }

  set(thing: string, connected: boolean): void {
    const presence: Presence = { connected, since: Math.floor(Date.now() / 1000), site: this.site };
    this.q.put.run(thing, connected ? 1 : 0, presence.since, this.site);
    this.announce(thing, presence);
  }

  /** At start-up: sessions of the previous process are gone. */
  markAllDisconnected(): void {
    for (const { thing } of this.q.stale.all(this.site) as { thing: string }[]) this.set(thing, false);
  }
}
