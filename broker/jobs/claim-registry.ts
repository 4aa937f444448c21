import { randomBytes } from "node:crypto";
import { mayOperate, type Principal } from "../../shared/acl.ts";
import {
  type Claim,
  type ClaimRequest,
  claimMessage,
  claimsOverlap,
  covers,
  isActive,
} from "../../shared/jobs-claims.ts";
import { JobError } from "../../shared/jobs-spec.ts";
import type { Db } from "../store/database.ts";
import type { TargetResolver } from "./target-resolver.ts";

const nowSec = () => Math.floor(Date.now() / 1000);

interface ClaimRow {
  id: string;
  owner: string;
  reason: string;
  things: string;
  systems: string;
  starts_at: number;
  ends_at: number;
  created_at: number;
  released_at: number | null;
}

/**
 * Maintenance claims in SQLite (table `claims`) and in memory. A claim expires by the clock alone; a
 * released one keeps its row (listed with `all`). Few claims are active at once, so the write path
 * scans them.
 */
export class ClaimRegistry {
  private readonly claims = new Map<string, Claim>();
  private readonly q;

  constructor(
    db: Db,
    private readonly resolver: TargetResolver,
  ) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO claims (id, owner, reason, things, systems, starts_at, ends_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      release: db.prepare("UPDATE claims SET released_at = ? WHERE id = ?"),
    };
    for (const row of db.prepare("SELECT * FROM claims").all() as ClaimRow[]) {
      const c: Claim = {
        id: row.id,
        owner: row.owner,
        reason: row.reason,
        things: JSON.parse(row.things) as string[],
        systems: JSON.parse(row.systems) as string[],
        from: row.starts_at,
        until: row.ends_at,
        createdAt: row.created_at,
      };
      if (row.released_at !== null) c.releasedAt = row.released_at;
      this.claims.set(c.id, c);
    }
  }

  /** Stores a claim; the answer lists the active or future claims it overlaps (allowed, reported). */
  create(req: ClaimRequest, owner: string): { claim: Claim; overlaps: Claim[] } {
    const now = nowSec();
    const claim: Claim = { id: `c-${randomBytes(5).toString("hex")}`, owner, createdAt: now, ...req };
    const overlaps = this.list(false).filter((c) => claimsOverlap(c, claim));
    this.q.insert.run(
      claim.id,
      owner,
      claim.reason,
      JSON.stringify(claim.things),
      JSON.stringify(claim.systems),
      claim.from,
      claim.until,
      now,
    );
    this.claims.set(claim.id, claim);
    return { claim, overlaps };
  }

  /** Claims not released and not yet over (active or future), or every claim with `all`. */
  list(all: boolean): Claim[] {
    const now = nowSec();
    return [...this.claims.values()]
      .filter((c) => all || (c.releasedAt === undefined && c.until > now))
      .sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
  }

  get(id: string): Claim {
    const c = this.claims.get(id);
    if (!c) throw new JobError(404, "unknown_claim", `No claim '${id}'`);
    return c;
  }

  /** Ends a claim now: its owner may, and operators (anonymous in development) may release any. */
  release(id: string, by: Principal): Claim {
    const c = this.get(id);
    if (c.owner !== by.name && !mayOperate(by)) {
      throw new JobError(403, "not_claim_owner", `claim ${id} belongs to '${c.owner}'`);
    }
    if (c.releasedAt === undefined) {
      c.releasedAt = nowSec();
      this.q.release.run(c.releasedAt, id);
    }
    return c;
  }

  /** The active claim on `thing` held by someone other than `principal`, if any. */
  blocking(thing: string, principal: string): Claim | undefined {
    const now = nowSec();
    for (const c of this.claims.values()) {
      if (c.owner !== principal && isActive(c, now) && covers(c, thing, this.resolver.inSystem)) return c;
    }
    return undefined;
  }

  /**
   * The ShadowService hook: desired writes by operators (and anonymous) other than the owner are
   * refused; devices and bridges are not (they report, and a bridge clears its one-shot commands).
   */
  check(thing: string, p: Principal): string | null {
    if (p.role === "device" || p.role === "bridge" || p.role === "site") return null;
    const c = this.blocking(thing, p.name);
    return c ? claimMessage(c, thing) : null;
  }
}
