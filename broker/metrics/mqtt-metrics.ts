import type { Aedes, Client, PublishPacket } from "aedes";
import { Counter, Gauge, type Registry } from "prom-client";
import { type ForwardWatchers, persistenceOf } from "../mqtt/aedes-seam.ts";

/**
 * MQTT traffic of the node: connections (now and since start) and messages in and out. Messages in are
 * PUBLISH packets from clients (the node's own publishes, such as shadow replies, are not "in");
 * messages out are deliveries to subscribers, counted where aedes decides to forward one.
 * Returns a function that stops counting (the node closes the broker anyway; this is for symmetry).
 */
export function registerMqttMetrics(
  registry: Registry,
  broker: Aedes,
  forwarded: ForwardWatchers,
): () => void {
  new Gauge({
    // Not `umbra_mqtt_connections`: in OpenMetrics that is the family of the counter below (its _total).
    name: "umbra_mqtt_clients_connected",
    help: "MQTT clients connected now",
    registers: [registry],
    collect() {
      this.set(broker.connectedClients);
    },
  });
  new Gauge({
    name: "umbra_mqtt_queue_overflow_messages",
    help: "messages for offline persistent sessions dropped since start because the client's queue was full",
    registers: [registry],
    collect() {
      this.set(persistenceOf<{ overflowed?: number }>(broker).overflowed ?? 0);
    },
  });
  const accepted = new Counter({
    name: "umbra_mqtt_connections_total",
    help: "MQTT connections accepted (CONNACK sent) since the node started",
    registers: [registry],
  });
  const received = new Counter({
    name: "umbra_mqtt_messages_received_total",
    help: "PUBLISH packets received from clients",
    registers: [registry],
  });
  const sent = new Counter({
    name: "umbra_mqtt_messages_sent_total",
    help: "messages delivered to subscribers",
    registers: [registry],
  });

  const onReady = () => accepted.inc();
  const onPublish = (_packet: PublishPacket, client: Client | null) => {
    if (client) received.inc();
  };
  broker.on("clientReady", onReady);
  broker.on("publish", onPublish);
  // Only what every hook layer (access control, conformance, …) let through counts.
  const stopSent = forwarded.watch(() => sent.inc());
  return () => {
    stopSent();
    broker.off("clientReady", onReady);
    broker.off("publish", onPublish);
  };
}
