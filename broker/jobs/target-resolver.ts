import { SystemError } from "../../shared/fleet-systems.ts";
import { JobError, type JobTarget } from "../../shared/jobs-spec.ts";
import { compileQuery, parseQuery, QueryError } from "../../shared/query/index.ts";
import type { FleetService } from "../fleet/fleet-service.ts";

/**
 * What jobs and claims need of the fleet (docs/fleet.md): a job's target as thing names, and system
 * membership. The one file that knows the fleet's API, so a change there touches only this adapter.
 */
export interface TargetResolver {
  /** Thing names in a stable order (sorted), or a JobError (bad query 400, unknown system 404). */
  resolve(target: JobTarget): string[];
  /** Whether `thing` is in `system` (directly, through subsystems, or by the system's query). */
  inSystem(thing: string, system: string): boolean;
}

/** Explicit lists only (a node without the fleet extension). */
export const listResolver: TargetResolver = {
  resolve(target) {
    if (target.things) return [...target.things];
    throw new JobError(400, "no_fleet", "this node has no fleet index: give the target as a list of things");
  },
  inSystem: () => false,
};

export function fleetResolver(fleet: FleetService): TargetResolver {
  return {
    resolve(target) {
      if (target.things) return [...target.things];
      try {
        if (target.q !== undefined) {
          const matches = compileQuery(parseQuery(target.q));
          const out: string[] = [];
          for (const r of fleet.index.all()) if (matches(r)) out.push(r.thing);
          return out.sort();
        }
        return [...fleet.systems.thingsOf(target.system as string)].sort();
      } catch (err) {
        if (err instanceof QueryError) throw new JobError(400, "invalid_query", err.message);
        if (err instanceof SystemError) throw new JobError(err.status, "unknown_system", err.message);
        throw err;
      }
    },
    inSystem(thing, system) {
      const r = fleet.index.get(thing);
      if (r) return fleet.systems.membershipOf(r).includes(system);
      try {
        return fleet.systems.thingsOf(system).has(thing);
      } catch {
        return false;
      }
    },
  };
}
