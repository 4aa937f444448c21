import { Counter, Gauge, type Registry } from "prom-client";
import type { SparkplugHost } from "./host.ts";

/** Prometheus view of the host application, read from its counters at scrape time. */
export function registerSparkplugMetrics(registry: Registry, host: SparkplugHost): void {
  new Counter({
    name: "umbra_sparkplug_messages_total",
    help: "Sparkplug edge messages received (births, data, deaths)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(host.stats.messages);
    },
  });
  const events = {
    birth: () => host.stats.births,
    death: () => host.stats.deaths,
    rebirth_request: () => host.stats.rebirthRequests,
    command: () => host.stats.commands,
    malformed: () => host.stats.malformed,
  };
  new Counter({
    name: "umbra_sparkplug_events_total",
    help: "Sparkplug host events by kind (birth, death, rebirth_request, command, malformed)",
    labelNames: ["event"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [event, value] of Object.entries(events)) this.inc({ event }, value());
    },
  });
  new Gauge({
    name: "umbra_sparkplug_edge_nodes_online",
    help: "Sparkplug edge nodes born and not dead",
    registers: [registry],
    collect() {
      this.set(host.onlineEdgeNodes());
    },
  });
}
