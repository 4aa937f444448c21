import { readdir } from "node:fs/promises";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

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
  replaceOpenFds(shared);
  return shared;
}

/**
 * prom-client counts open file descriptors with a synchronous `readdirSync('/proc/self/fd')` on every
 * scrape: one directory entry per connection, so a node with thousands of clients stalled its main thread
 * for milliseconds per scrape (docs/benchmarks.md, "Open-loop tail"). The same gauge, read off the main
 * thread (libuv's pool); absent where /proc is not (as prom-client's).
 */
function replaceOpenFds(registry: Registry): void {
  const name = "process_open_fds";
  if (!registry.getSingleMetric(name)) return;
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: "Number of open file descriptors.",
    registers: [registry],
    async collect() {
      const fds = await readdir("/proc/self/fd").catch(() => undefined);
      if (fds) this.set(fds.length);
    },
  });
}
