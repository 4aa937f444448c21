import type { Aedes } from "aedes";
import type { Logger } from "../../shared/logger.ts";
import { parseTelemetryPayload, parseTelemetryTopic } from "../../shared/telemetry-payload.ts";
import type { TelemetryService } from "./telemetry-service.ts";

/**
 * Feeds telemetry published over MQTT into the service. It listens to the broker's `publish` event,
 * which fires after the ACL: a publish the ACL refused has already been rerouted to the sink topic, so
 * only a thing's own device, a bridge granted it, or anonymous (development) clients get here.
 * A bad payload stores nothing, is counted and logged at debug; the publisher stays connected.
 */
export function installTelemetryIngest(
  broker: Aedes,
  telemetry: TelemetryService,
  now: () => number,
  log: Logger,
  onBadPayload: () => void,
): () => void {
  const onPublish = (packet: { topic: string; payload: Buffer | string }, client: unknown) => {
    if (!client || !packet.topic.startsWith("things/")) return;
    const topic = parseTelemetryTopic(packet.topic);
    if (!topic) return;
    // Nothing a publisher sends may throw out of this broker event: that would end the process.
    try {
      const parsed = parseTelemetryPayload(topic, packet.payload, now());
      if (!parsed.ok) {
        onBadPayload();
        log.debug({ topic: packet.topic, reason: parsed.reason }, "telemetry payload refused");
        return;
      }
      telemetry.record(topic.thing, parsed.samples);
    } catch (err) {
      onBadPayload();
      log.warn({ err, topic: packet.topic }, "telemetry message could not be handled");
    }
  };
  broker.on("publish", onPublish);
  return () => broker.removeListener("publish", onPublish);
}
