import type { ExtensionDefinition } from "./extension.ts";
import { fleetExtension } from "./fleet/extension.ts";
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
  // fleet first: its commit hook must see every shadow change, whichever capability causes it.
  fleetExtension,
  // jobs after fleet: job targets and claims resolve through the fleet's queries and systems.
  jobsExtension,
  // telemetry first: Sparkplug and the relay record samples through it.
  telemetryExtension,
  // sparkplug after telemetry: numeric Sparkplug DATA is recorded through it.
  sparkplugExtension,
  // relay after telemetry/sparkplug (their changes are shadow changes it forwards), before metrics.
  relayExtension,
  // metrics stays last: it scrapes what the others register and wraps the final MQTT forward hook.
  metricsExtension,
];
