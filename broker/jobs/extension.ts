import type { AlarmJobsPort } from "../alarms/extension.ts";
import type { ExtensionDefinition, NodeExtension } from "../extension.ts";
import type { FleetExtension } from "../fleet/extension.ts";
import { ClaimRegistry } from "./claim-registry.ts";
import { JobRunner } from "./job-runner.ts";
import { JobService } from "./job-service.ts";
import { JobStore } from "./job-store.ts";
import { jobRoutes } from "./routes.ts";
import { fleetResolver, listResolver } from "./target-resolver.ts";

export interface JobsExtension extends NodeExtension, AlarmJobsPort {
  readonly jobs: JobService;
  readonly claims: ClaimRegistry;
}

/**
 * Jobs and maintenance claims (docs/jobs.md). After the fleet (targets are fleet queries and
 * systems); installs the claim check on the shadow service and resumes unfinished jobs.
 */
export const jobsExtension: ExtensionDefinition = {
  name: "jobs",
  start(ctx) {
    const fleet = ctx.extension<FleetExtension>("fleet")?.fleet;
    const resolver = fleet ? fleetResolver(fleet) : listResolver;
    const claims = new ClaimRegistry(ctx.db, resolver);
    ctx.service.claimCheck = (addr, p) => claims.check(addr.thing, p);
    const store = new JobStore(ctx.db);
    const runner = new JobRunner(store, ctx.service, claims, ctx.log);
    const jobs = new JobService(store, runner, ctx.service, claims, resolver);
    const resumed = runner.resumeAll();
    if (resumed > 0) ctx.log.info({ jobs: resumed }, "jobs resumed");
    const ext: JobsExtension = {
      jobs,
      claims,
      // What the alarms capability asks (broker/alarms/extension.ts): a claimed thing's alarms are not
      // notified, and the review lists the jobs that touched a system's things.
      underMaintenance: (thing) => claims.blocking(thing, "") !== undefined,
      reviewJobs: (_system, things, sinceMs) =>
        store
          .all()
          .filter((j) => j.createdAt * 1000 >= sinceMs)
          .flatMap((j) => {
            const touched = store.things(j.id).filter((t) => things.has(t.thing));
            if (touched.length === 0) return [];
            return [
              {
                id: j.id,
                state: j.state,
                createdAt: j.createdAt,
                creator: j.creator.name,
                things: touched.length,
                written: touched.filter((t) => t.written).length,
              },
            ];
          }),
      routes: (app, who) => jobRoutes(jobs, claims, app, who),
      close() {
        runner.close();
        ctx.service.claimCheck = undefined;
      },
    };
    return ext;
  },
};
