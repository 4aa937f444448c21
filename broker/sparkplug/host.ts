import type { Aedes } from "aedes";
import { principal } from "../../shared/acl.ts";
import { type JsonObject, jsonEqual } from "../../shared/json.ts";
import type { Logger } from "../../shared/logger.ts";
import {
  parseSparkplugTopic,
  SPARKPLUG_NAMESPACE,
  type SparkplugTopic,
  sparkplugThing,
} from "../../shared/sparkplug-topics.ts";
import type { TelemetryIngest } from "../../shared/telemetry.ts";
import type { PresenceTracker } from "../presence.ts";
import type { ShadowChange, ShadowService } from "../shadow/shadow-service.ts";
import type { BirthCertificate } from "./birth.ts";
import { decodeSparkplugPayload, type SparkplugPayload } from "./codec.ts";
import { type CommandTarget, EdgeCommander } from "./commander.ts";
import { type DeviceSession, EdgeSession } from "./edge-session.ts";
import { HostState } from "./host-state.ts";
import { birthPatch, splitData } from "./mapping.ts";
import { ReportedWriter } from "./reported-writer.ts";

export interface SparkplugHostOptions {
  hostId: string;
  /** Numeric DATA metrics whose values also go to `reported` (all non-numeric ones always do). */
  reportedMetrics: (name: string) => boolean;
  reportedIntervalMs: number;
  /** After asking an edge node for a rebirth, do not ask again for this long (unless it was reborn). */
  rebirthHoldMs: number;
}

export interface SparkplugHostDeps {
  broker: Aedes;
  service: ShadowService;
  presence: PresenceTracker;
  log: Logger;
  telemetry?: TelemetryIngest;
}

export interface SparkplugHostStats {
  messages: number;
  births: number;
  deaths: number;
  rebirthRequests: number;
  commands: number;
  malformed: number;
}

/** The identity the host writes shadows as: it stands in for every Sparkplug edge node and device. */
const HOST_PRINCIPAL = principal("sparkplug-host", "bridge", "*");
const FILTER = `${SPARKPLUG_NAMESPACE}/#`;
/** Distinct ignored (unnameable) ids logged, so a misconfigured fleet cannot flood the log. */
const MAX_WARNED = 100;

/**
 * The node's Sparkplug B host application, in-process on the embedded broker: it subscribes to
 * `spBv1.0/#`, keeps one EdgeSession per edge node, maps births/data/deaths onto shadows, telemetry
 * and presence, asks for rebirths when its picture is stale, turns `desired` changes into NCMD/DCMD,
 * and publishes its Sparkplug 3.0 STATE. See docs/sparkplug.md.
 */
export class SparkplugHost {
  private readonly counts = { messages: 0, births: 0, deaths: 0, malformed: 0 };
  private readonly sessions = new Map<string, EdgeSession>();
  /** Thing → the session (and device) behind it, for commands. */
  private readonly things = new Map<string, CommandTarget>();
  private readonly writer: ReportedWriter;
  private readonly warned = new Set<string>();
  /** Per edge node: the check, after an NBIRTH, for devices of the old session that were not reborn. */
  private readonly rebirthChecks = new Map<
    string,
    { timer: NodeJS.Timeout; run(): void; devices: readonly DeviceSession[] }
  >();
  private readonly onPacket = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
    cb();
    try {
      if (packet.topic === this.state.topic) return this.state.observed(Buffer.from(packet.payload));
      this.handle(packet.topic, Buffer.from(packet.payload));
    } catch (err) {
      this.deps.log.error({ err, topic: packet.topic }, "sparkplug message handling failed");
    }
  };
  private readonly onChange = (change: ShadowChange) => this.commandFromChange(change);
  private readonly state: HostState;
  private readonly commander: EdgeCommander;

  constructor(
    private readonly deps: SparkplugHostDeps,
    private readonly options: SparkplugHostOptions,
  ) {
    this.state = new HostState(deps.broker, options.hostId, deps.log);
    this.commander = new EdgeCommander(deps.broker, deps.log, options.rebirthHoldMs);
    this.writer = new ReportedWriter(
      (thing, metrics) => this.writeReported(thing, { metrics }),
      options.reportedIntervalMs,
    );
  }

  get stats(): SparkplugHostStats {
    const { sent, rebirthRequests } = this.commander;
    return { ...this.counts, rebirthRequests, commands: sent };
  }

  onlineEdgeNodes(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.online) n++;
    return n;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.deps.broker.subscribe(FILTER, this.onPacket, () => resolve()));
    this.deps.service.on("change", this.onChange);
    await this.state.online();
  }

  /** Stops ingesting, writes pending reported values and publishes the offline STATE (retained). */
  async close(): Promise<void> {
    for (const c of this.rebirthChecks.values()) clearTimeout(c.timer);
    this.rebirthChecks.clear();
    this.deps.service.off("change", this.onChange);
    await new Promise<void>((resolve) =>
      this.deps.broker.unsubscribe(FILTER, this.onPacket, () => resolve()),
    );
    await this.writer.close();
    await this.state.offline();
  }

  private handle(topic: string, payload: Buffer): void {
    const t = parseSparkplugTopic(topic);
    if (t === null || t.type === "NCMD" || t.type === "DCMD") return; // STATE, commands (ours too)
    this.counts.messages++;
    const edgeThing = sparkplugThing(t.group, t.edge);
    const deviceThing = t.device === undefined ? undefined : sparkplugThing(t.group, t.edge, t.device);
    if (edgeThing === null || deviceThing === null) {
      this.warnUnnameable(topic);
      return;
    }
    let msg: SparkplugPayload;
    try {
      msg = decodeSparkplugPayload(payload);
    } catch (err) {
      this.counts.malformed++;
      this.deps.log.warn({ topic, err: (err as Error).message }, "malformed Sparkplug payload ignored");
      return;
    }
    let session = this.sessions.get(edgeThing);
    if (!session) {
      session = new EdgeSession(t.group, t.edge, edgeThing);
      this.sessions.set(edgeThing, session);
    }
    const at = msg.timestamp ?? Date.now();
    switch (t.type) {
      case "NBIRTH":
        this.nodeBirth(session, msg, at);
        return;
      case "NDEATH":
        this.nodeDeath(session, msg);
        return;
      case "DBIRTH":
        this.deviceBirth(session, t, deviceThing as string, msg, at);
        return;
      case "DDEATH":
        this.deviceDeath(session, t, msg);
        return;
      case "NDATA":
      case "DDATA":
        this.data(session, t, msg, at);
        return;
    }
  }

  private nodeBirth(session: EdgeSession, msg: SparkplugPayload, at: number): void {
    this.counts.births++;
    this.expireUnreborn(session, session.nodeBirth(msg.metrics, msg.seq ?? 0, at));
    const birth = session.birth as BirthCertificate;
    this.things.set(session.thing, { session });
    this.deps.presence.set(session.thing, true);
    const id = { group: session.group, edge: session.edge, bdSeq: session.bdSeq };
    this.writeBirth(session.thing, birthPatch(id, birth, msg.metrics, this.reportedOf(session.thing)));
  }

  /**
   * Devices online in the session an NBIRTH replaced (its NDEATH never reached us) are disconnected
   * unless their DBIRTH follows within the rebirth hold: an edge node sends its DBIRTHs right after
   * its NBIRTH, so a device it still has does not flap offline and online on every rebirth.
   */
  private expireUnreborn(session: EdgeSession, previous: readonly DeviceSession[]): void {
    const earlier = this.rebirthChecks.get(session.thing);
    if (earlier) clearTimeout(earlier.timer);
    // A second NBIRTH within the hold keeps waiting for the devices the first one was waiting for.
    // By id, so a rebirth storm does not grow the list.
    const waiting = [...new Map([...(earlier?.devices ?? []), ...previous].map((d) => [d.id, d])).values()];
    if (waiting.length === 0) return;
    const run = () => {
      this.rebirthChecks.delete(session.thing);
      for (const d of waiting) if (!session.devices.get(d.id)?.online) this.deps.presence.set(d.thing, false);
    };
    const timer = setTimeout(run, this.options.rebirthHoldMs);
    timer.unref();
    this.rebirthChecks.set(session.thing, { timer, run, devices: waiting });
  }

  /** Runs a pending rebirth check now (an NDEATH ends the wait). */
  private settleRebirth(thing: string): void {
    const check = this.rebirthChecks.get(thing);
    if (!check) return;
    clearTimeout(check.timer);
    check.run();
  }

  private nodeDeath(session: EdgeSession, msg: SparkplugPayload): void {
    if (!session.deathMatches(msg.metrics)) {
      this.deps.log.debug({ thing: session.thing }, "NDEATH of an older session ignored (bdSeq differs)");
      return;
    }
    this.counts.deaths++;
    this.settleRebirth(session.thing);
    for (const d of session.nodeDeath()) this.deps.presence.set(d.thing, false);
    this.deps.presence.set(session.thing, false);
  }

  private deviceBirth(
    session: EdgeSession,
    t: SparkplugTopic,
    thing: string,
    msg: SparkplugPayload,
    at: number,
  ): void {
    if (!session.online) {
      this.commander.requestRebirth(session, "DBIRTH before NBIRTH");
      return;
    }
    if (!session.seq.accept(msg.seq)) this.commander.requestRebirth(session, "sequence gap");
    this.counts.births++;
    const device = session.deviceBirth(t.device as string, thing, msg.metrics, at);
    this.things.set(thing, { session, device: device.id });
    this.deps.presence.set(thing, true);
    const id = { group: t.group, edge: t.edge, device: device.id };
    this.writeBirth(thing, birthPatch(id, device.birth, msg.metrics, this.reportedOf(thing)));
  }

  private deviceDeath(session: EdgeSession, t: SparkplugTopic, msg: SparkplugPayload): void {
    if (!session.online) return;
    if (!session.seq.accept(msg.seq)) this.commander.requestRebirth(session, "sequence gap");
    const device = session.devices.get(t.device as string);
    if (!device?.online) return;
    this.counts.deaths++;
    device.online = false;
    this.deps.presence.set(device.thing, false);
  }

  private data(session: EdgeSession, t: SparkplugTopic, msg: SparkplugPayload, at: number): void {
    if (!session.online) {
      this.commander.requestRebirth(session, "DATA before NBIRTH");
      return;
    }
    if (!session.seq.accept(msg.seq)) this.commander.requestRebirth(session, "sequence gap");
    let device: DeviceSession | undefined;
    if (t.device !== undefined) {
      device = session.devices.get(t.device);
      if (!device?.online) {
        this.commander.requestRebirth(session, `DDATA of device '${t.device}' before its DBIRTH`);
        return;
      }
    }
    const resolved = session.resolveNames(device, msg.metrics);
    if (resolved === null) {
      this.commander.requestRebirth(session, "unknown metric alias");
      return;
    }
    const thing = device?.thing ?? session.thing;
    const desired = this.desiredMetricsOf(thing);
    const { telemetry } = this.deps;
    const split = splitData(
      resolved,
      at,
      (name) => Object.hasOwn(desired, name) || this.options.reportedMetrics(name),
      telemetry !== undefined,
    );
    if (telemetry) {
      if (split.samples.length > 0) telemetry.record(thing, split.samples);
      if (split.historical.length > 0) telemetry.record(thing, split.historical, { historical: true });
    }
    const urgent = Object.keys(split.reported).some((name) => Object.hasOwn(desired, name));
    this.writer.queue(thing, split.reported, urgent);
  }

  /** A desired change on a Sparkplug thing whose edge node (and device) is online becomes NCMD/DCMD. */
  private commandFromChange(change: ShadowChange): void {
    if (change.kind !== "update" || change.addr.shadow !== "") return;
    const target = this.things.get(change.addr.thing);
    if (!target || jsonEqual(change.previous.desired, change.current.desired)) return;
    this.commander.sendDesired(
      target,
      change.current.desired,
      change.current.reported,
      change.previous.desired,
    );
  }

  /**
   * Writes a birth, then sends what `desired` still asks for (the edge node may have missed it while
   * offline). The shadow service applies an update synchronously (only the commit is awaited), so the
   * view read right after already holds the birth; a desired change that lands later is sent by
   * `commandFromChange` and is not sent twice.
   */
  private writeBirth(thing: string, patch: JsonObject): void {
    void this.writeReported(thing, patch);
    const target = this.things.get(thing);
    const view = this.deps.service.peek({ thing, shadow: "" });
    if (target) this.commander.sendDesired(target, view.desired, view.reported, undefined);
  }

  private async writeReported(thing: string, reported: JsonObject): Promise<void> {
    try {
      const result = await this.deps.service.update(
        { thing, shadow: "" },
        { state: { reported } },
        HOST_PRINCIPAL,
      );
      if (!result.ok)
        this.deps.log.warn(
          { thing, code: result.error.code, message: result.error.message },
          "Sparkplug reported update refused (large edge nodes may need a higher maxStateBytes)",
        );
    } catch (err) {
      this.deps.log.error({ err, thing }, "Sparkplug reported update failed");
    }
  }

  private reportedOf(thing: string): JsonObject {
    return this.deps.service.peek({ thing, shadow: "" }).reported;
  }

  private desiredMetricsOf(thing: string): JsonObject {
    const m = this.deps.service.peek({ thing, shadow: "" }).desired.metrics;
    return typeof m === "object" && m !== null && !Array.isArray(m) ? m : {};
  }

  private warnUnnameable(topic: string): void {
    const key = topic.split("/").slice(0, 4).join("/");
    if (this.warned.has(key) || this.warned.size >= MAX_WARNED) return;
    this.warned.add(key);
    this.deps.log.warn(
      { topic },
      "Sparkplug message ignored: group, edge node and device ids must be [a-zA-Z0-9_-] (thing names, docs/sparkplug.md)",
    );
  }
}
