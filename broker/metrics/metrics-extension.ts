import { Gauge } from "prom-client";
import { mayReadFleet } from "../../shared/acl.ts";
import type { ExtensionDefinition } from "../extension.ts";
import { sendProblem } from "../http/problem.ts";
import { registerCommitTimingMetrics } from "./commit-metrics.ts";
import { LatencyTrace } from "./latency-trace.ts";
import { registerMqttMetrics } from "./mqtt-metrics.ts";
import { processRegistry } from "./process-metrics.ts";
import { registerShadowMetrics } from "./shadow-metrics.ts";
import { registerStoreMetrics } from "./store-metrics.ts";

/**
 * Roles that may scrape `/metrics`: the ones that may read the whole fabric anyway (connection counts
 * and request rates say something about every thing). A device, bridge or site token gets 403.
 * With --allow-anonymous every request is anonymous and may read it, as it may read everything.
 */

/**
 * `GET /metrics` in Prometheus text format, from the node's own registry (`ctx.metrics`; never
 * prom-client's global one, so several nodes in one process keep apart). Started last, so the
 * capabilities before it have registered their own metrics (telemetry ingest, relay lag) on the same
 * registry and the MQTT forward hook it wraps is the final one. The process metrics (CPU, memory…)
 * are appended from a registry shared by the nodes of this process.
 */
export const metricsExtension: ExtensionDefinition = {
  name: "metrics",
  start(ctx) {
    const registry = ctx.metrics;
    const processMetrics = processRegistry();
    new Gauge({
      name: "umbra_node_info",
      help: "always 1; labels say which site this node is",
      labelNames: ["site"],
      registers: [registry],
    }).set({ site: ctx.config.site }, 1);
    const stopMqtt = registerMqttMetrics(registry, ctx.broker, ctx.forwarded);
    const stopShadow = registerShadowMetrics(registry, ctx.service, ctx.commits, ctx.store);
    const stopCommitTiming = registerCommitTimingMetrics(registry, ctx.commits);
    registerStoreMetrics(registry, ctx.db, ctx.config.dataDir);
    // A diagnostic, not a setting: the bench's `--trace` sets it (docs/observability.md "Latency trace").
    const traceDir = process.env.UMBRA_LATENCY_TRACE;
    const trace = traceDir ? new LatencyTrace(traceDir, ctx.commits) : undefined;
    return {
      routes(app, principalOf) {
        app.get("/metrics", async (req, reply) => {
          const p = principalOf(req);
          if (!mayReadFleet(p)) {
            return sendProblem(
              reply,
              403,
              `role ${p.role} may not read metrics; use an operator or viewer token (umbra token create --role viewer)`,
            );
          }
          const body = (await registry.metrics()) + (await processMetrics.metrics());
          return reply.header("content-type", registry.contentType).send(body);
        });
      },
      close() {
        stopMqtt();
        stopShadow();
        stopCommitTiming();
        if (trace) {
          try {
            ctx.log.info({ path: trace.stop() }, "latency trace written");
          } catch (err) {
            ctx.log.warn({ err }, "latency trace: cannot write it");
          }
        }
      },
    };
  },
};
