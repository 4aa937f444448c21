import type { AedesPublishPacket } from "aedes";
import type { TelemetrySample } from "../../shared/telemetry.ts";
import type { ExtensionDefinition, NodeExtension } from "../extension.ts";
import type { FleetExtension } from "../fleet/extension.ts";
import type { RelayExtension } from "../relay/relay-extension.ts";
import type { TelemetryExtension } from "../telemetry/extension.ts";
import { AlarmService } from "./alarm-service.ts";
import { AlarmStore } from "./alarm-store.ts";
import { type AlarmCounts, countAlarmsByThing } from "./counts.ts";
import { fleetPort } from "./fleet-port.ts";
import {
  AlarmNotifications,
  type AlarmNotifier,
  alertmanagerNotifier,
  mqttNotifier,
  webhookNotifier,
} from "./notify.ts";
import { acceptRemoteAlarm, REMOTE_ALARMS } from "./remote.ts";
import type { JobsProvider } from "./review.ts";
import { alarmRoutes } from "./routes.ts";

/**
 * What the alarms capability needs of the jobs capability (issue 14), looked up by name at each use so
 * the two land independently: maintenance claims silence notifications, jobs appear in the review.
 */
export interface AlarmJobsPort {
  underMaintenance?(thing: string): boolean;
  reviewJobs?(system: string, things: ReadonlySet<string>, since: number): ReturnType<JobsProvider>;
}

/** What other capabilities (the fleet roll-up) get from `ctx.extension("alarms")`. */
export interface AlarmsExtension extends NodeExtension {
  readonly service: AlarmService;
  /** Open alarms of a system and of the things below it. */
  counts(system: string): AlarmCounts;
}

const TICK_MS = 1000;
const RESEND_MS = 60_000;
const PRUNE_MS = 3_600_000;

/** Alarms and review (docs/alarms.md). Started after fleet and telemetry, whose data it watches. */
export const alarmsExtension: ExtensionDefinition = {
  name: "alarms",
  start(ctx) {
    const { config, log } = ctx;
    const fleetExt = ctx.extension<FleetExtension>("fleet");
    if (!fleetExt) throw new Error("the alarms capability needs the fleet capability (systems)");
    const telemetry = ctx.extension<TelemetryExtension>("telemetry");
    const relay = ctx.extension<RelayExtension>("relay");
    const jobs = () => ctx.extension<NodeExtension & AlarmJobsPort>("jobs");
    for (const [key, url] of [
      ["alarmWebhook", config.alarmWebhook],
      ["alarmAlertmanager", config.alarmAlertmanager],
    ] as const) {
      if (url !== undefined && !/^https?:\/\//.test(url))
        throw new Error(`${key}: '${url}' is not an http(s) URL`);
    }
    const notifiers: AlarmNotifier[] = [];
    if (config.alarmWebhook) notifiers.push(webhookNotifier(config.alarmWebhook, log));
    if (config.alarmAlertmanager) notifiers.push(alertmanagerNotifier(config.alarmAlertmanager, log));
    const now = () => Date.now();
    const notifications = new AlarmNotifications(
      notifiers,
      (thing) => jobs()?.underMaintenance?.(thing) ?? false,
      now,
    );
    const store = new AlarmStore(ctx.db);
    const presenceRows = ctx.db.prepare("SELECT thing FROM presence");
    const port = fleetPort(fleetExt, ctx.broker, () =>
      (presenceRows.all() as { thing: string }[]).map((r) => r.thing),
    );
    const service = new AlarmService(store, port, {
      site: config.site,
      ...(config.alarmRules ? { rulesDir: config.alarmRules } : {}),
      now,
      log,
      latest: (thing) => telemetry?.latest(thing) ?? {},
      notifications,
      feed: mqttNotifier(ctx.broker, (topic, payload) => relay?.relayOwn(topic, payload, 1)),
      jobs: (system, things, since) => jobs()?.reviewJobs?.(system, things, since) ?? null,
    });
    service.reloadRules();
    port.extendRollup((system) => ({ alarms: service.counts(system) }));
    // Per-thing counts for the fleet query's `alarms.*` fields: recomputed when an alarm changed, or
    // after a second (shelving ends with time).
    let byThing = { generation: -1, at: 0, counts: new Map<string, AlarmCounts>() };
    fleetExt.fleet.index.alarmsOf = (thing) => {
      const t = now();
      if (byThing.generation !== store.generation || t - byThing.at > 1000)
        byThing = { generation: store.generation, at: t, counts: countAlarmsByThing(store.all(), t) };
      return byThing.counts.get(thing);
    };

    const stopFleet = port.subscribe((thing, record) => service.engine.thingChanged(thing, record));
    const onSamples = (thing: string, samples: readonly TelemetrySample[]) =>
      service.engine.samples(thing, samples);
    telemetry?.accepted.add(onSamples);
    const onRemote = (packet: AedesPublishPacket, cb: () => void) => {
      acceptRemoteAlarm(store, config.site, packet.topic, packet.payload as Buffer, log);
      cb();
    };
    ctx.broker.subscribe(REMOTE_ALARMS, onRemote, () => {});

    let lastPoll = now();
    let lastResend = now();
    let lastPrune = 0;
    const pollMs = config.alarmRulesPollMs ?? 5000;
    const timer = setInterval(
      () => {
        try {
          const t = now();
          service.engine.tick();
          if (t - lastPoll >= pollMs) {
            lastPoll = t;
            service.reloadRules();
            port.extendRollup((system) => ({ alarms: service.counts(system) }));
          }
          if (t - lastResend >= RESEND_MS) {
            lastResend = t;
            notifications.resend([...store.all()].filter((a) => a.site === config.site));
          }
          if (t - lastPrune >= PRUNE_MS) {
            lastPrune = t;
            store.prune(t);
          }
        } catch (err) {
          log.error({ err }, "alarms: evaluation tick failed");
        }
      },
      Math.min(TICK_MS, pollMs),
    );
    timer.unref();

    const ext: AlarmsExtension = {
      service,
      counts: (system) => service.counts(system),
      routes: (app, who) => alarmRoutes(app, who, service),
      close() {
        fleetExt.fleet.index.alarmsOf = () => undefined;
        clearInterval(timer);
        stopFleet();
        port.extendRollup(undefined);
        port.close();
        telemetry?.accepted.delete(onSamples);
        ctx.broker.unsubscribe(REMOTE_ALARMS, onRemote, () => {});
        notifications.close();
      },
    };
    return ext;
  },
};
