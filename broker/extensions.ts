import { alarmsExtension } from "./alarms/extension.ts";
import type { ExtensionDefinition } from "./extension.ts";
import { fleetExtension } from "./fleet/extension.ts";
import { historyExtension } from "./history/history-extension.ts";
import { jobsExtension } from "./jobs/extension.ts";
import { metricsExtension } from "./metrics/metrics-extension.ts";
import { relayExtension } from "./relay/relay-extension.ts";
import { sparkplugExtension } from "./sparkplug/extension.ts";
import { telemetryExtension } from "./telemetry/extension.ts";

/**
 * The capabilities a node starts beside the shadow core, in start order (a later one may use an
 * earlier one through `ctx.extension(name)`). Each lives in its own directory under broker/.
 */
export const EXTENSIONS: readonly ExtensionDefinition[] = [
  // history and fleet first: the history journal and the fleet's commit hook must be in place before
  // any capability writes a shadow (the relay merges at start).
  historyExtension,
  fleetExtension,
  // jobs after fleet: job targets and claims resolve through the fleet's queries and systems.
  jobsExtension,
  // telemetry before Sparkplug and the relay: they record samples through it.
  telemetryExtension,
  // sparkplug after telemetry: numeric Sparkplug DATA is recorded through it.
  sparkplugExtension,
  // relay after telemetry/sparkplug (their changes are shadow changes it forwards), before metrics.
  relayExtension,
  // alarms after fleet and telemetry (it watches their data) and the relay.
  alarmsExtension,
  // metrics stays last: it scrapes what the others register and wraps the final MQTT forward hook.
  metricsExtension,
];
