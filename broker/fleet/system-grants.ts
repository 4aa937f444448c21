import type { Principal } from "../../shared/acl.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { Db } from "../store/database.ts";
import type { SystemRegistry } from "./system-registry.ts";

/**
 * Per-system access (docs/fleet.md, "Per-system grants"): an operator identity bound to systems may
 * write `desired` only for their members (directly or through subsystems, static or dynamic), beside
 * its thing grant (both must allow). An operator bound to no system is governed by its grant alone.
 * Table `fleet_system_grants (identity, system)`; the check is one of the shadow service's
 * `desiredChecks`.
 */
export class SystemGrants {
  private readonly q;

  constructor(
    db: Db,
    private readonly systems: SystemRegistry,
  ) {
    this.q = {
      of: db.prepare("SELECT system FROM fleet_system_grants WHERE identity = ? ORDER BY system"),
      on: db.prepare("SELECT identity FROM fleet_system_grants WHERE system = ? ORDER BY identity"),
      add: db.prepare("INSERT OR IGNORE INTO fleet_system_grants (identity, system) VALUES (?, ?)"),
      remove: db.prepare("DELETE FROM fleet_system_grants WHERE identity = ? AND system = ?"),
    };
  }

  /** Systems an identity is bound to (empty: not restricted by systems). */
  systemsOf(identity: string): string[] {
    return (this.q.of.all(identity) as { system: string }[]).map((r) => r.system);
  }

  operatorsOf(system: string): string[] {
    return (this.q.on.all(system) as { identity: string }[]).map((r) => r.identity);
  }

  /** Binds an identity to a system (which must exist: SystemError 404 otherwise). */
  grant(identity: string, system: string): void {
    this.systems.get(system);
    this.q.add.run(identity, system);
  }

  revoke(identity: string, system: string): boolean {
    return this.q.remove.run(identity, system).changes > 0;
  }

  /** Null when `p` may write desired on `addr`'s thing as far as systems go, else the reason (403). */
  readonly check = (addr: ShadowAddress, p: Principal): string | null => {
    if (p.role !== "operator") return null;
    const bound = this.systemsOf(p.name);
    if (bound.length === 0) return null;
    const memo = new Map<string, Set<string>>();
    for (const s of bound) {
      try {
        if (this.systems.thingsOf(s, memo).has(addr.thing)) return null;
      } catch {
        // a system deleted since: it grants nothing
      }
    }
    return `operator '${p.name}' may write desired only for members of system${bound.length > 1 ? "s" : ""} ${bound.join(", ")}`;
  };
}
