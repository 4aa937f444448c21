import type { Aedes } from "aedes";
import type { JsonObject } from "../../shared/json.ts";
import type { Logger } from "../../shared/logger.ts";
import { sparkplugTopic } from "../../shared/sparkplug-topics.ts";
import { publishFromNode } from "../mqtt/publish.ts";
import { type CommandMetric, encodeCommandPayload } from "./codec.ts";
import { planCommands } from "./commands.ts";
import type { EdgeSession } from "./edge-session.ts";

const REBIRTH_METRIC = "Node Control/Rebirth";

/** A thing the host commands: an edge node, or one of its devices. */
export interface CommandTarget {
  session: EdgeSession;
  device?: string;
}

/** Sends NCMD/DCMD: rebirth requests, and `desired` metrics checked against the birth certificate. */
export class EdgeCommander {
  sent = 0;
  rebirthRequests = 0;

  constructor(
    private readonly broker: Aedes,
    private readonly log: Logger,
    /** After asking an edge node for a rebirth, do not ask again for this long (unless it was reborn). */
    private readonly rebirthHoldMs: number,
  ) {}

  /** `NCMD Node Control/Rebirth = true`, with the birth's alias when it declared one; once per hold. */
  requestRebirth(session: EdgeSession, reason: string): void {
    const now = Date.now();
    const last = session.rebirthRequestedAt;
    if (last !== undefined && now - last < this.rebirthHoldMs) return;
    session.rebirthRequestedAt = now;
    this.rebirthRequests++;
    this.log.info({ thing: session.thing, reason }, "asking Sparkplug edge node for a rebirth");
    const alias = session.birth?.metrics.get(REBIRTH_METRIC)?.alias;
    const metric: CommandMetric = { name: REBIRTH_METRIC, datatype: "Boolean", value: true };
    if (alias !== undefined) metric.alias = alias;
    this.send(session, undefined, [metric]);
  }

  /**
   * Sends what `desired` asks for (see planCommands) when the target is online; offline, the delta
   * stays pending and is sent after the next birth.
   */
  sendDesired(
    target: CommandTarget,
    desired: JsonObject,
    reported: JsonObject,
    previousDesired: JsonObject | undefined,
  ): void {
    const { session } = target;
    const device = target.device === undefined ? undefined : session.devices.get(target.device);
    const birth = target.device === undefined ? session.birth : device?.online ? device.birth : undefined;
    if (!birth) return;
    const plan = planCommands(birth, desired, reported, previousDesired);
    const thing = device?.thing ?? session.thing;
    for (const r of plan.refused)
      this.log.warn({ thing, metric: r.name, reason: r.reason }, "desired metric not sent to the edge node");
    if (plan.metrics.length > 0) this.send(session, target.device, plan.metrics);
  }

  private send(session: EdgeSession, device: string | undefined, metrics: CommandMetric[]): void {
    this.sent++;
    const type = device === undefined ? "NCMD" : "DCMD";
    const topic = sparkplugTopic(session.group, type, session.edge, device);
    const payload = Buffer.from(encodeCommandPayload(metrics));
    publishFromNode(this.broker, { topic, payload, qos: 0 }).catch((err) =>
      this.log.error({ err, topic }, "Sparkplug command publish failed"),
    );
  }
}
