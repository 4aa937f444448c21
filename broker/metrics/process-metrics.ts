import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * Default metrics prom-client names like counters but exposes as gauges: `promtool check metrics`
 * rejects them, and the per-type gauges without the suffix (nodejs_active_handles{type=…}, …) carry
 * the same numbers.
 */
const LINT_FAILING_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

let shared: Registry | undefined;

/**
 * CPU, memory, event-loop lag, GC, handles: facts of the process, not of a node. Collected once per
 * process in a registry of their own (not prom-client's global one) and appended to every node's
 * scrape: per node, prom-client would start another event-loop monitor and GC observer each time a
 * node starts, and never stop them (tests start hundreds of nodes in one process).
 */
export function processRegistry(): Registry {
  if (shared) return shared;
  shared = new Registry();
  collectDefaultMetrics({ register: shared });
  for (const name of LINT_FAILING_DEFAULTS) shared.removeSingleMetric(name);
  return shared;
}
