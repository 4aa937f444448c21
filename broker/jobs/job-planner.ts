import { type Principal, shadowDenial } from "../../shared/acl.ts";
import { claimMessage } from "../../shared/jobs-claims.ts";
import { planThing, type ThingPlan } from "../../shared/jobs-plan.ts";
import { type JobSpec, jobWrite } from "../../shared/jobs-spec.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";
import type { ClaimRegistry } from "./claim-registry.ts";
import type { JobCreator } from "./job-store.ts";

/** The principal a job writes as, rebuilt from what the job stored. */
export function creatorPrincipal(c: JobCreator): Principal {
  return { name: c.name, role: c.role, things: c.things.map((s) => new RegExp(s)) };
}

export function creatorOf(p: Principal): JobCreator {
  return { name: p.name, role: p.role, things: p.things.map((r) => r.source) };
}

/**
 * Plans one thing against its shadow as it is now: the same facts for the dry run and for the runner
 * just before it writes (grant, maintenance claim, the service's own checks of the request).
 */
export function planNow(
  service: ShadowService,
  claims: ClaimRegistry,
  spec: JobSpec,
  who: Principal,
  thing: string,
  /** false for the runner: the write itself gets the service's refusal, no need to prepare it twice. */
  askService = true,
): ThingPlan {
  const addr = { thing, shadow: spec.shadow };
  const view = service.peek(addr);
  const accessDenial = shadowDenial(who, thing, "update", { desired: true, reported: false });
  const claim = claims.blocking(thing, who.name);
  const claimDenial = claim ? claimMessage(claim, thing) : null;
  let serviceDenial: string | null = null;
  if (askService && accessDenial === null && claimDenial === null) {
    const err = service.check(addr, { state: { desired: jobWrite(spec) } }, who);
    if (err) serviceDenial = `${err.code}: ${err.message}`;
  }
  return planThing(spec, {
    thing,
    desired: view.exists ? view.desired : {},
    reported: view.exists ? view.reported : {},
    accessDenial,
    claimDenial,
    serviceDenial,
  });
}
