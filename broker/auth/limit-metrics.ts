import { Counter, Gauge, type Registry } from "prom-client";
import type { RequestFlow } from "../mqtt/request-flow.ts";
import type { SharedRequestLimits } from "./request-limits.ts";
import type { ShadowQuota } from "./shadow-quota.ts";

/**
 * `umbra_shadow_requests_limited_total{scope}`: shadow requests answered 429, by the limit that refused
 * them (connection, identity, thing). `umbra_shadow_quota_refused_total{limit}`: shadow creations
 * answered 413 by a cap (named_per_thing, per_identity). `umbra_shadow_requests_held_total` and
 * `umbra_shadow_requests_waiting`: MQTT shadow requests held by the node-wide bound (request-flow.ts).
 * Read from the limiters at scrape time.
 */
export function registerLimitMetrics(
  registry: Registry,
  limits: SharedRequestLimits,
  quota: ShadowQuota,
  flow: RequestFlow,
): void {
  new Counter({
    name: "umbra_shadow_requests_limited_total",
    help: "Shadow requests refused with 429, by the limit that refused them",
    labelNames: ["scope"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [scope, n] of Object.entries(limits.refused)) this.inc({ scope }, n);
    },
  });
  new Counter({
    name: "umbra_shadow_quota_refused_total",
    help: "Shadow creations refused with 413 by a cap on shadows",
    labelNames: ["limit"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [limit, n] of Object.entries(quota.refused)) this.inc({ limit }, n);
    },
  });
  new Counter({
    name: "umbra_shadow_requests_held_total",
    help: "MQTT shadow requests that waited because the node had requestsInWork requests in work",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(flow.heldTotal);
    },
  });
  new Gauge({
    name: "umbra_shadow_requests_waiting",
    help: "MQTT shadow requests waiting now for the node to have room (requestsInWork)",
    registers: [registry],
    collect() {
      this.set(flow.waiting);
    },
  });
}
