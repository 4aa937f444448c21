import type { Principal } from "../../shared/acl.ts";
import type { SecurityLimits } from "../../shared/config.ts";
import { RequestLimiter } from "./request-limiter.ts";

/** A request let through (call `release` once answered), or refused with a reason (answer 429). */
export type Admission = { refusal: null; release(): void } | { refusal: string; scope: LimitScope };
export type LimitScope = "connection" | "identity" | "thing";

/** Limiters kept per key before idle ones are swept (a full bucket with nothing in flight is forgotten). */
const SWEEP_AT = 10_000;

/**
 * Shadow request limits across connections (issue 17): one bucket per identity and one per thing, on
 * top of each connection's own, so 50 connections of one identity get no more than one. Anonymous
 * clients (development only) share one identity and keep only their connection's limit.
 */
export class SharedRequestLimits {
  private readonly identities = new Map<string, RequestLimiter>();
  private readonly things = new Map<string, RequestLimiter>();
  /** Requests refused, by the limit that refused them. */
  readonly refused: Record<LimitScope, number> = { connection: 0, identity: 0, thing: 0 };

  constructor(
    private readonly limits: SecurityLimits,
    private readonly now?: () => number,
  ) {}

  /** A connection's own limiter. */
  forConnection(): RequestLimiter {
    const s = this.limits;
    return new RequestLimiter(s.requestRate, s.requestBurst, s.maxInflight, this.now);
  }

  /** Takes a slot from every limiter that applies to this request, or none if one refuses. */
  admit(connection: RequestLimiter | undefined, principal: Principal, thing: string): Admission {
    const s = this.limits;
    let identity: RequestLimiter | undefined;
    let perThing: RequestLimiter | undefined;
    if (principal.role !== "anonymous") {
      identity = this.limiter(
        this.identities,
        `${principal.role}:${principal.name}`,
        s.identityRequestRate,
        s.identityRequestBurst,
        s.identityMaxInflight,
      );
      perThing = this.limiter(
        this.things,
        thing,
        s.thingRequestRate,
        s.thingRequestBurst,
        s.thingMaxInflight,
      );
    }
    const refused =
      this.refusal("connection", connection, thing) ??
      this.refusal("identity", identity, thing) ??
      this.refusal("thing", perThing, thing);
    if (refused) return refused;
    connection?.take();
    identity?.take();
    perThing?.take();
    return new Admitted(connection, identity, perThing);
  }

  /** The refusal of one limiter in the chain (counted), or undefined when it lets the request through. */
  private refusal(
    scope: LimitScope,
    limiter: RequestLimiter | undefined,
    thing: string,
  ): Admission | undefined {
    const refusal = limiter?.check() ?? null;
    if (refusal === null) return undefined;
    this.refused[scope]++;
    const what =
      scope === "connection" ? "" : scope === "thing" ? ` for thing '${thing}'` : " for this identity";
    return { refusal: `${refusal}${what}`, scope };
  }

  /** Limiters held now (identities + things), for tests and metrics. */
  get size(): number {
    return this.identities.size + this.things.size;
  }

  private limiter(
    map: Map<string, RequestLimiter>,
    key: string,
    rate: number,
    burst: number,
    inflight: number,
  ): RequestLimiter {
    let limiter = map.get(key);
    if (!limiter) {
      if (map.size >= SWEEP_AT) for (const [k, l] of map) if (l.idle()) map.delete(k);
      limiter = new RequestLimiter(rate, burst, inflight, this.now);
      map.set(key, limiter);
    }
    return limiter;
  }
}

/** A request let through: `release` gives its slot back to each limiter once (no closure per request). */
class Admitted {
  readonly refusal = null;
  private released = false;

  constructor(
    private readonly connection: RequestLimiter | undefined,
    private readonly identity: RequestLimiter | undefined,
    private readonly thing: RequestLimiter | undefined,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.connection?.done();
    this.identity?.done();
    this.thing?.done();
  }
}
