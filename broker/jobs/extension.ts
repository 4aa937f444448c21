import type { ExtensionDefinition, NodeExtension } from "../extension.ts";
import type { FleetExtension } from "../fleet/extension.ts";
import { ClaimRegistry } from "./claim-registry.ts";
import { JobRunner } from "./job-runner.ts";
import { JobService } from "./job-service.ts";
import { JobStore } from "./job-store.ts";
import { jobRoutes } from "./routes.ts";
import { fleetResolver, listResolver } from "./target-resolver.ts";

export interface JobsExtension extends NodeExtension {
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
      routes: (app, who) => jobRoutes(jobs, claims, app, who),
      close() {
        runner.close();
        ctx.service.claimCheck = undefined;
      },
    };
    return ext;
  },
};
