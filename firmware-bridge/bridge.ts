import { join } from "node:path";
import { connectDevice, type Device, type DeviceOptions } from "../device-agent/index.ts";
import type { JsonObject } from "../shared/json.ts";
import { type Logger, silentLogger } from "../shared/logger.ts";
import { AttributeFiller } from "./attributes.ts";
import type { BridgeConfig, BridgeDevice } from "./config.ts";
import { checkDevice, checkPoints, driverFactory } from "./drivers/index.ts";
import { DeviceRunner } from "./engine.ts";
import { loadProfile, ProfileError } from "./profile.ts";
import type { RunnerOptions, ShadowLink } from "./runner-ports.ts";
import type { Driver, Profile } from "./types.ts";

/**
 * `startBridge(config)`: one process, many devices. Each device becomes its own thing on the node via
 * the device SDK (its own MQTT session, under the bridge's identity), with its own driver and runner.
 */

export interface BridgeOptions {
  log?: Logger;
  /** Overrides of the runners' settings (tests use short backoff and verify delays). */
  runner?: RunnerOptions;
  /** Overrides of the SDK options of every device (reconnect, retry, timeouts). */
  device?: Partial<DeviceOptions>;
}

export interface RunningBridge {
  readonly runners: ReadonlyMap<string, DeviceRunner>;
  close(): Promise<void>;
}

export interface PreparedDevice {
  device: BridgeDevice;
  profile: Profile;
}

/** Loads and checks every profile against its device's driver: all configuration errors before any I/O. */
export function prepareDevices(config: BridgeConfig): PreparedDevice[] {
  const cache = new Map<string, Profile>();
  return config.devices.map((device) => {
    const where = `device ${device.spec.thing}`;
    let profile = cache.get(device.profile);
    if (!profile) {
      profile = loadProfile(device.profile, config.baseDir);
      cache.set(device.profile, profile);
    }
    if (profile.driver !== device.spec.driver)
      throw new ProfileError(
        `${where}: profile '${profile.name}' is for the ${profile.driver} driver, the device uses ${device.spec.driver}`,
      );
    checkPoints(device.spec.driver, profile.points, `${where}, profile '${profile.name}'`);
    checkDevice(device.spec);
    return { device, profile };
  });
}

/**
 * The MQTT client id of a bridged device: unique per bridge identity and thing. Not the bare thing
 * name: the node refuses a client id held by another identity, and the real device (or its agent)
 * may hold that one.
 */
export function bridgeClientId(username: string, thing: string): string {
  return `bridge:${username}:${thing}`;
}

function deviceOptions(config: BridgeConfig, thing: string, opts: BridgeOptions): DeviceOptions {
  const n = config.node;
  return {
    url: n.url,
    thing,
    clientId: bridgeClientId(n.username, thing),
    username: n.username,
    ...(n.password !== undefined ? { password: n.password } : {}),
    ...(n.tls ? { tls: n.tls } : {}),
    ...(n.queueDir ? { queuePath: join(n.queueDir, `${thing}.queue.db`) } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...opts.device,
  };
}

export async function startBridge(config: BridgeConfig, opts: BridgeOptions = {}): Promise<RunningBridge> {
  const prepared = prepareDevices(config);
  const drivers: Driver[] = prepared.map((p) => driverFactory(p.device.spec.driver)(p.device.spec));
  const connected = await Promise.allSettled(
    prepared.map((p) => connectDevice(deviceOptions(config, p.device.spec.thing, opts))),
  );
  const failed = connected.findIndex((r) => r.status === "rejected");
  if (failed >= 0) {
    await Promise.all([
      ...connected.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)),
      ...drivers.map((d) => d.close()),
    ]);
    const reason = (connected[failed] as PromiseRejectedResult).reason as Error;
    throw new Error(`device ${prepared[failed]?.device.spec.thing}: ${reason.message}`, { cause: reason });
  }
  const devices = connected.map((r) => (r as PromiseFulfilledResult<Device>).value);
  const runners = new Map<string, DeviceRunner>();
  prepared.forEach((p, i) => {
    const device = devices[i] as Device;
    const filler = new AttributeFiller({
      thing: p.device.spec.thing,
      profile: p.profile,
      ...(p.device.attributes ? { configured: p.device.attributes } : {}),
      setAttributes: (a) => device.setAttributes(a),
      identify: () => runner.identify(),
      log: opts.log ?? silentLogger,
    });
    const runner = new DeviceRunner(p.device.spec, p.profile, drivers[i] as Driver, device, {
      fullReportMs: config.fullReportMs,
      backoff: { maxMs: config.backoffMaxMs },
      ...(opts.log ? { log: opts.log } : {}),
      onRead: filler.onRead,
      ...opts.runner,
    });
    runners.set(p.device.spec.thing, runner);
    filler.start();
    runner.start();
  });
  opts.log?.info({ devices: runners.size, url: config.node.url }, "bridge running");
  let closing: Promise<void> | undefined;
  return {
    runners,
    close() {
      closing ??= (async () => {
        await Promise.all([...runners.values()].map((r) => r.stop()));
        await Promise.all(devices.map((d) => d.close()));
      })();
      return closing;
    },
  };
}

/**
 * Polls every device once without a node (`umbra bridge --once`): what each device would report.
 * Unreachable devices show their `$bridge` section with the error.
 */
export async function pollOnce(
  config: BridgeConfig,
  opts: { runner?: RunnerOptions } = {},
): Promise<Map<string, JsonObject>> {
  const prepared = prepareDevices(config);
  const results = new Map<string, JsonObject>();
  await Promise.all(
    prepared.map(async (p) => {
      const reports: JsonObject = {};
      const link: ShadowLink = {
        async report(patch) {
          Object.assign(reports, patch);
        },
        onDelta: () => () => undefined,
      };
      const driver = driverFactory(p.device.spec.driver)(p.device.spec);
      const runner = new DeviceRunner(p.device.spec, p.profile, driver, link, opts.runner);
      try {
        await runner.pollOnce();
      } finally {
        await driver.close();
      }
      results.set(p.device.spec.thing, reports);
    }),
  );
  return results;
}
