import { isJsonObject, type JsonObject } from "../../shared/json.ts";
import type { Logger } from "../../shared/logger.ts";
import { connectDevice } from "../sdk/connect.ts";
import type { Device, DeviceOptions } from "../sdk/types.ts";
import type { AgentConfig } from "./config.ts";
import { describePlan } from "./dry-run.ts";
import { agentFacts, factsKey, type HostFacts, readHostFacts } from "./facts.ts";
import { hostAttributes, readDmi } from "./host-attributes.ts";
import { formatPath, replacePatch } from "./paths.ts";
import { planDelta } from "./plan.ts";
import { makeDeltaHandler, withoutConventions } from "./reconcile.ts";
import { startTelemetry, type TelemetryLoop } from "./telemetry.ts";

/**
 * The host agent: a device (SDK `connectDevice`) that reports this machine's facts, publishes its
 * telemetry, and applies desired state through the handlers of its config. In dry-run mode it connects
 * read-only (its own client id, no status topic), prints what each delta would do, and changes nothing —
 * neither the host nor the shadow.
 */
export interface AgentOptions {
  device: DeviceOptions;
  config: AgentConfig;
  dryRun: boolean;
  /** With dryRun: print the plan for the current state, then stop. */
  once?: boolean;
  log: Logger;
  /** Lines for the user (stdout). */
  out: (line: string) => void;
  /** Where the DMI table is read (default /sys/class/dmi/id; tests give a directory of their own). */
  dmiDir?: string;
}

export interface RunningAgent {
  device: Device;
  /** Resolves when a `once` dry run has printed its plan. */
  done: Promise<void>;
  stop(): Promise<void>;
}

function handlerList(config: AgentConfig) {
  return config.handlers.map((h) => ({ name: h.name, desired: formatPath(h.desired) }));
}

/** The first facts report: replaces whatever an earlier run reported (gone interfaces, removed handlers). */
function initialFactsPatch(device: Device, facts: HostFacts, config: AgentConfig): JsonObject {
  const agent = agentFacts(handlerList(config));
  const prevAgent = device.reported.agent;
  const prevHandlers = isJsonObject(prevAgent) && isJsonObject(prevAgent.handlers) ? prevAgent.handlers : {};
  // Handlers still configured keep their last status; those removed from the config are deleted.
  const handlers: JsonObject = { ...(agent.handlers as JsonObject) };
  for (const name of Object.keys(prevHandlers)) if (!(name in handlers)) handlers[name] = null;
  return { host: replacePatch(device.reported.host, facts), agent: { ...agent, handlers } };
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, log } = opts;
  const thing = opts.device.thing;
  const deviceOptions: DeviceOptions = opts.dryRun
    ? // Never take over the running agent's session (client id) or its retained status.
      { ...opts.device, clientId: `${thing}.dry-run`, statusTopic: false }
    : opts.device;
  const device = await connectDevice(deviceOptions);
  const timers: NodeJS.Timeout[] = [];
  let telemetry: TelemetryLoop | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const facts = await readHostFacts();
  const dmi = readDmi(opts.dmiDir);
  const attributesOf = (f: HostFacts) => hostAttributes(f, dmi, config.attributes);
  if (opts.dryRun) {
    opts.out(`dry-run: would report facts ${JSON.stringify(initialFactsPatch(device, facts, config))}`);
    opts.out(`dry-run: would state attributes ${JSON.stringify(attributesOf(facts))}`);
    const show = () => {
      const plan = planDelta(
        config.handlers,
        withoutConventions(device.delta ?? {}),
        { desired: device.desired, reported: device.reported },
        thing,
      );
      for (const line of describePlan(plan, device.version)) opts.out(line);
    };
    show();
    if (opts.once) finish();
    else device.onDesired(() => show());
  } else {
    // Facts that the node refuses (e.g. 413 over its size limit) are logged; the agent still reconciles.
    await device
      .report(initialFactsPatch(device, facts, config))
      .catch((err: unknown) => log.error({ err: (err as Error).message }, "host facts not reported"));
    // Inventory attributes: stated now, again at every connect, and when the facts change.
    const stateAttributes = (f: HostFacts) =>
      device.setAttributes(attributesOf(f)).then(
        (r) => {
          if (r && r.kept.length > 0)
            log.info({ thing, kept: r.kept }, "attributes an operator set are kept as they are");
        },
        (err: unknown) => log.warn({ err: (err as Error).message }, "attributes not stated"),
      );
    await stateAttributes(facts);
    let lastKey = factsKey(facts);
    let lastFacts: HostFacts = facts;
    // Facts are re-read now and then; reported only when something but the uptime changed.
    let refreshing = false;
    const refresh = setInterval(() => {
      if (refreshing) return; // a slow statfs (hung NFS) must not stack refreshes
      refreshing = true;
      readHostFacts()
        .then(async (next) => {
          const key = factsKey(next);
          if (key === lastKey) return;
          await device.report({ host: replacePatch(lastFacts, next) });
          await stateAttributes(next);
          lastKey = key;
          lastFacts = next;
          log.info({ thing }, "host facts changed; reported");
        })
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, "host facts not refreshed"))
        .finally(() => {
          refreshing = false;
        });
    }, config.facts.intervalMs);
    refresh.unref();
    timers.push(refresh);
    device.onDelta(makeDeltaHandler({ handlers: config.handlers, thing, device, log }));
    if (config.telemetry.enabled) {
      telemetry = startTelemetry({
        thing,
        intervalMs: config.telemetry.intervalMs,
        // On the device's own connection (QoS 0, nothing queued: a missed sample is replaced by the next).
        publish: async (sample) => {
          if (!(await device.publishTelemetry(sample))) throw new Error("offline: sample not sent");
        },
        onError: (err) => log.debug({ err: (err as Error).message }, "telemetry sample not sent"),
      });
    }
  }

  return {
    device,
    done,
    async stop() {
      for (const t of timers) clearInterval(t);
      telemetry?.stop();
      await device.close();
      finish();
    },
  };
}
