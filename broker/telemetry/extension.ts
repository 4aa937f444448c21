import { Counter, Gauge } from "prom-client";
import { principal } from "../../shared/acl.ts";
import type { TelemetryIngest, TelemetrySample } from "../../shared/telemetry.ts";
import type { Retention } from "../../shared/telemetry-rollup.ts";
import { parseSummaryRules } from "../../shared/telemetry-summary.ts";
import type { ExtensionDefinition, NodeContext, NodeExtension } from "../extension.ts";
import { installTelemetryIngest } from "./ingest.ts";
import { DEFAULT_MAINTENANCE, TelemetryMaintenance } from "./maintenance.ts";
import { telemetryRoutes } from "./routes.ts";
import { TelemetryStore } from "./store.ts";
import { TelemetrySummary } from "./summary.ts";
import { type RejectReason, TelemetryService } from "./telemetry-service.ts";

const REJECT_HINTS: Record<RejectReason, string> = {
  payload: "a malformed payload (docs/telemetry.md lists what a message may hold)",
  too_old: "samples older than the raw window (check the device clock, and that `ts` is in milliseconds)",
  future: "samples more than 10 minutes in the future (check the device clock)",
  overflow: "the write queue is full (the disk cannot keep up)",
  series_limit: "a new metric beyond the series limits (metric names must not carry counters or dates)",
};

import { DEFAULT_WRITER, TelemetryWriter } from "./writer.ts";

/** What other capabilities get from `ctx.extension("telemetry")`. */
export type TelemetryExtension = NodeExtension &
  TelemetryIngest & {
    readonly service: TelemetryService;
    readonly store: TelemetryStore;
    readonly writer: TelemetryWriter;
    readonly maintenance: TelemetryMaintenance;
    readonly summary: TelemetrySummary;
    /** Called with every accepted batch, after validation (the alarms capability listens here). */
    readonly accepted: Set<(thing: string, samples: readonly TelemetrySample[]) => void>;
    /** Writes queued samples now. */
    flush(): void;
  };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The telemetry capability: MQTT ingest on `things/{thing}/telemetry[/…]`, batched writes into
 * DATA_DIR/telemetry.db, background rollups and retention, HTTP queries, the optional summary into
 * `reported`, and Prometheus counters. Other capabilities record samples through `record()`.
 */
export const telemetryExtension: ExtensionDefinition = {
  name: "telemetry",
  start(ctx: NodeContext): TelemetryExtension {
    const now = () => Date.now();
    const { config, log } = ctx;
    const retention: Retention = {
      rawMs: config.telemetryRawHours * HOUR,
      minuteMs: config.telemetryMinuteDays * DAY,
      hourMs: config.telemetryHourDays * DAY,
    };
    // Checked before anything is opened, so a bad setting fails the start with its own message.
    const rules = parseSummaryRules(config.telemetrySummary);

    const samples = new Counter({
      name: "umbra_telemetry_samples_total",
      help: "Telemetry samples accepted for storage",
      registers: [ctx.metrics],
    });
    const rejected = new Counter({
      name: "umbra_telemetry_rejected_total",
      help: "Telemetry samples or messages refused, by reason (payload, too_old, future, overflow, series_limit)",
      labelNames: ["reason"],
      registers: [ctx.metrics],
    });
    // A refusal is also said in the log, at most once a minute per reason: a device whose every sample
    // is refused (a wrong clock, seconds for milliseconds) must not look like silence.
    const lastSaid = new Map<RejectReason, number>();
    const reject = (reason: RejectReason, n: number) => {
      rejected.inc({ reason }, n);
      const t = Date.now();
      if (t - (lastSaid.get(reason) ?? 0) < 60_000) return;
      lastSaid.set(reason, t);
      log.warn(
        { reason, samples: n, counter: "umbra_telemetry_rejected_total" },
        `telemetry refused: ${REJECT_HINTS[reason]} (said once a minute; the counter has every refusal)`,
      );
    };

    const store = new TelemetryStore(config.dataDir);
    new Gauge({
      name: "umbra_telemetry_db_bytes",
      help: "Size of telemetry.db",
      registers: [ctx.metrics],
      collect() {
        if (store.db.open) this.set(store.sizeBytes());
      },
    });
    const writer = new TelemetryWriter(store, DEFAULT_WRITER, {
      written: () => {},
      dropped: (n) => reject("overflow", n),
      failed: (err) => log.error({ err }, "telemetry write failed; batch dropped"),
    });
    const summary = new TelemetrySummary(
      rules,
      ctx.service,
      principal(`node:${config.site}`, "bridge"),
      now,
      log,
    );
    const accepted = new Set<(thing: string, samples: readonly TelemetrySample[]) => void>();
    const service = new TelemetryService(store, writer, {
      retention,
      now,
      lateMarginMs: 10 * 60_000,
      futureMs: 10 * 60_000,
      onRejected: reject,
      onAccepted: (thing: string, batch: readonly TelemetrySample[]) => {
        samples.inc(batch.length);
        if (summary.enabled) summary.observe(thing, batch);
        for (const listener of accepted) listener(thing, batch);
      },
    });
    const ingestBehind = () => writer.pending > DEFAULT_WRITER.maxPerTransaction;
    const maintenance = new TelemetryMaintenance(
      store,
      { ...DEFAULT_MAINTENANCE, retention, now, ingestBehind },
      (err) => log.error({ err }, "telemetry rollup/retention failed"),
    );
    maintenance.start();
    summary.start();
    const uninstall = installTelemetryIngest(ctx.broker, service, now, log, () => reject("payload", 1));
    log.debug({ file: store.path, summary: rules.length }, "telemetry started");

    return {
      service,
      store,
      writer,
      maintenance,
      summary,
      accepted,
      record: (thing, s, options) => service.record(thing, s, options),
      latest: (thing) => service.latest(thing),
      flush: () => writer.flush(),
      routes: (app, principalOf) => telemetryRoutes(app, principalOf, service, retention, now),
      close() {
        uninstall();
        summary.stop();
        maintenance.stop();
        writer.close();
        try {
          maintenance.drain(5);
        } catch (err) {
          log.error({ err }, "telemetry rollup at shutdown failed");
        }
        store.close();
      },
    };
  },
};
