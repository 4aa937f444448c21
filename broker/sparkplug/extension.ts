import { ConfigError } from "../../shared/config.ts";
import type { TelemetryIngest } from "../../shared/telemetry.ts";
import type { ExtensionDefinition, NodeExtension } from "../extension.ts";
import { SparkplugHost } from "./host.ts";
import { registerSparkplugMetrics } from "./metrics.ts";

/** How long after a rebirth request the host waits before asking the same edge node again. */
const REBIRTH_HOLD_MS = 3000;

/**
 * Node capability "sparkplug": the Sparkplug B host application (host.ts). Starts after "telemetry"
 * so numeric DATA goes to the time series; without it, every value goes to `reported`.
 */
export const sparkplugExtension: ExtensionDefinition = {
  name: "sparkplug",
  async start(ctx): Promise<NodeExtension & { host?: SparkplugHost }> {
    const c = ctx.config;
    if (c.sparkplugEnabled === false) return {};
    const hostId = c.sparkplugHostId ?? `umbra-${c.site}`;
    if (!/^[^/+#]+$/.test(hostId)) {
      throw new ConfigError(
        `sparkplugHostId '${hostId}' is not a valid MQTT topic level: it must not contain '/', '+' or '#'`,
      );
    }
    const telemetry = ctx.extension<TelemetryIngest & NodeExtension>("telemetry");
    const host = new SparkplugHost(
      {
        broker: ctx.broker,
        service: ctx.service,
        presence: ctx.presence,
        log: ctx.log.child({ component: "sparkplug" }),
        telemetry: typeof telemetry?.record === "function" ? telemetry : undefined,
      },
      {
        hostId,
        reportedMetrics: metricMatcher(c.sparkplugReportedMetrics ?? ["*"]),
        reportedIntervalMs: c.sparkplugReportedIntervalMs ?? 5000,
        rebirthHoldMs: REBIRTH_HOLD_MS,
      },
    );
    await host.start();
    registerSparkplugMetrics(ctx.metrics, host);
    ctx.log.info({ hostId }, "Sparkplug B host application started");
    return { host, close: () => host.close() };
  },
};

/** Globs on Sparkplug metric names: `*` matches any run of characters (including `/`). */
export function metricMatcher(globs: readonly string[]): (name: string) => boolean {
  const res = globs.map(
    (g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`),
  );
  return (name) => res.some((re) => re.test(name));
}
