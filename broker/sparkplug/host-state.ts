import type { Aedes } from "aedes";
import type { Logger } from "../../shared/logger.ts";
import { stateTopic } from "../../shared/sparkplug-topics.ts";
import { publishFromNode } from "../mqtt/publish.ts";

/**
 * The host application's Sparkplug 3.0 STATE: `spBv1.0/STATE/{host_id}`, retained, QoS 1, JSON
 * `{online, timestamp}`. Online on start; offline, with the same timestamp (as the spec asks of the
 * will that an MQTT-client host would register), when the node stops.
 */
export class HostState {
  readonly topic: string;
  private timestamp = 0;
  private stopped = false;

  constructor(
    private readonly broker: Aedes,
    hostId: string,
    private readonly log: Logger,
  ) {
    this.topic = stateTopic(hostId);
  }

  online(): Promise<void> {
    this.timestamp = Date.now();
    return this.publish(true);
  }

  offline(): Promise<void> {
    this.stopped = true;
    return this.publish(false);
  }

  /**
   * A message on our own STATE topic. A host that sees itself declared offline while it runs
   * (another client published it) publishes online again, so edge nodes do not fail over.
   */
  observed(payload: Buffer): void {
    let online: unknown;
    try {
      online = (JSON.parse(payload.toString()) as { online?: unknown }).online;
    } catch {
      online = undefined;
    }
    if (online === true || this.stopped) return;
    this.log.warn({ topic: this.topic }, "own Sparkplug STATE overwritten: publishing online again");
    this.publish(true).catch((err) => this.log.error({ err }, "Sparkplug STATE publish failed"));
  }

  private publish(online: boolean): Promise<void> {
    const body = Buffer.from(JSON.stringify({ online, timestamp: this.timestamp }));
    return publishFromNode(this.broker, { topic: this.topic, payload: body, retain: true });
  }
}
