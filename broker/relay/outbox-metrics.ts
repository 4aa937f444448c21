import { Counter, Gauge, type Registry } from "prom-client";

/** Prometheus view of the outbox: size, and every message it refused or dropped (never silent). */
export interface OutboxMetrics {
  messages: Gauge;
  bytes: Gauge;
  rejected: Counter<"reason">;
}

export function outboxMetrics(registry: Registry): OutboxMetrics {
  const existing = registry.getSingleMetric("umbra_relay_outbox_messages") as Gauge | undefined;
  if (existing) {
    return {
      messages: existing,
      bytes: registry.getSingleMetric("umbra_relay_outbox_bytes") as Gauge,
      rejected: registry.getSingleMetric("umbra_relay_outbox_rejected_total") as Counter<"reason">,
    };
  }
  return {
    messages: new Gauge({
      name: "umbra_relay_outbox_messages",
      help: "Messages waiting in the relay outbox for the parent site",
      registers: [registry],
    }),
    bytes: new Gauge({
      name: "umbra_relay_outbox_bytes",
      help: "Bytes (topic + payload) waiting in the relay outbox",
      registers: [registry],
    }),
    rejected: new Counter({
      name: "umbra_relay_outbox_rejected_total",
      help: "Messages not forwarded because the outbox was full (reason: refused-new or dropped-oldest)",
      labelNames: ["reason"],
      registers: [registry],
    }),
  };
}
