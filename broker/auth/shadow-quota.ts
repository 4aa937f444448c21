import type { Principal } from "../../shared/acl.ts";
import { ShadowError } from "../../shared/errors.ts";
import type { ShadowLimits } from "../../shared/limits.ts";
import { NODE_WRITER } from "../../shared/site-presence.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { Db } from "../store/database.ts";

/** Which cap refused a new shadow. */
export type QuotaLimit = "named_per_thing" | "per_identity";

/**
 * Caps on creating shadows (issue 17: one device identity over 50 connections created ~3,560 named
 * shadows in 10 s): named shadows per thing, and shadows per device or bridge identity (those it created
 * that still exist, kept in `shadow_creators`). Creations admitted but not yet committed count too, so
 * concurrent requests cannot slip past a cap together. Over a cap: 413, as AWS answers a limit.
 */
export class ShadowQuota {
  private readonly q;
  /** Admitted creations not yet committed, per thing (named shadows) and per identity. */
  private readonly pendingNamed = new Map<string, Set<string>>();
  private readonly pendingByIdentity = new Map<string, Set<string>>();
  readonly refused: Record<QuotaLimit, number> = { named_per_thing: 0, per_identity: 0 };

  constructor(
    db: Db,
    private readonly limits: Pick<ShadowLimits, "maxNamedShadows" | "maxShadowsPerIdentity">,
  ) {
    this.q = {
      named: db.prepare("SELECT count(*) AS n FROM shadows WHERE thing = ? AND name != '' AND deleted = 0"),
      byIdentity: db.prepare(
        `SELECT count(*) AS n FROM shadow_creators c JOIN shadows s ON s.thing = c.thing AND s.name = c.name
         WHERE c.identity = ? AND s.deleted = 0`,
      ),
      record: db.prepare(
        "INSERT INTO shadow_creators (thing, name, identity) VALUES (?, ?, ?) ON CONFLICT (thing, name) DO UPDATE SET identity = excluded.identity",
      ),
    };
  }

  /**
   * Admits the creation of shadow `addr` by `principal` (the shadow does not exist now), or throws a
   * 413 ShadowError. Call the returned function once the creation is committed (or failed).
   */
  admitNew(addr: ShadowAddress, principal: Principal): () => void {
    const key = `${addr.thing}/${addr.shadow}`;
    const undo: (() => void)[] = [];
    if (addr.shadow !== "") {
      const pending = this.pending(this.pendingNamed, addr.thing);
      const n = (this.q.named.get(addr.thing) as { n: number }).n + pending.size;
      if (!pending.has(key) && n >= this.limits.maxNamedShadows) {
        this.refused.named_per_thing++;
        throw new ShadowError(
          413,
          `Thing '${addr.thing}' has ${n} named shadows; the limit is ${this.limits.maxNamedShadows}`,
        );
      }
      pending.add(key);
      undo.push(() => this.forget(this.pendingNamed, addr.thing, key));
    }
    const identity = countedIdentity(principal);
    if (identity !== undefined) {
      const pending = this.pending(this.pendingByIdentity, identity);
      const n = (this.q.byIdentity.get(identity) as { n: number }).n + pending.size;
      if (!pending.has(key) && n >= this.limits.maxShadowsPerIdentity) {
        for (const u of undo) u();
        this.refused.per_identity++;
        throw new ShadowError(
          413,
          `Identity '${principal.name}' has created ${n} shadows; the limit is ${this.limits.maxShadowsPerIdentity}`,
        );
      }
      pending.add(key);
      undo.push(() => this.forget(this.pendingByIdentity, identity, key));
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const u of undo) u();
      if (identity === undefined) return;
      try {
        this.q.record.run(addr.thing, addr.shadow, identity);
      } catch {
        // Not recorded (the store is busy): this shadow does not count towards the identity's cap.
      }
    };
  }

  private pending(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }

  private forget(map: Map<string, Set<string>>, key: string, item: string): void {
    const set = map.get(key);
    set?.delete(item);
    if (set?.size === 0) map.delete(key);
  }
}

/** Device and bridge identities are counted (they create shadows by reporting); others are not. */
function countedIdentity(p: Principal): string | undefined {
  // The node's own writes of reserved shadows (presence, attributes, systems of every thing) are not a
  // client's creations: capping them would stop relaying at the cap's number of things.
  if (p === NODE_WRITER) return undefined;
  return p.role === "device" || p.role === "bridge" ? `${p.role}:${p.name}` : undefined;
}
