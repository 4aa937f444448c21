import type { HandlerResult } from "../device-agent/index.ts";
import type { JsonObject, JsonValue } from "../shared/json.ts";
import { leavesOf } from "../shared/json-path.ts";
import type { Logger } from "../shared/logger.ts";
import { ConvertError, pointFor, rawEquals, setPath, toRaw, toShadow } from "./convert.ts";
import type { ShadowLink } from "./runner-ports.ts";
import { type Driver, DriverError, type PointSpec, type RawValue } from "./types.ts";

/**
 * A bridged device's desired state: each leaf of a delta is converted to the raw value, written through
 * the driver, read back until the device shows it (relays take a moment), and reported; one-shot
 * commands are sent once and removed from desired. The runner (engine.ts) lends its serialized,
 * time-guarded driver calls so a write never overlaps a poll.
 */

/** What the desired-state handling needs from the device's runner. */
export interface DesiredHost {
  readonly thing: string;
  readonly profileName: string;
  readonly points: readonly PointSpec[];
  readonly driver: Driver;
  readonly link: ShadowLink;
  readonly log: Logger;
  /** Delays before each read-back after a write. */
  readonly verifyDelays: readonly number[];
  /** Runs driver calls one at a time, in order. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** A driver call that does not settle in time fails as unreachable. */
  guarded<T>(what: string, p: Promise<T>): Promise<T>;
  /** A value written and verified: polls that read before the write must not report over it. */
  written(path: string, value: JsonValue): void;
}

/** The delta handler: desired → raw → driver.write → read back → reported. */
export async function applyDesired(host: DesiredHost, delta: JsonObject): Promise<HandlerResult> {
  const reported: JsonObject = {};
  const problems: string[] = [];
  const commandsDone: string[] = [];
  let retry = false;
  for (const leaf of leavesOf(delta)) {
    const path = leaf.path.join(".");
    if (path.startsWith("$")) continue;
    const point = pointFor(host.points, path);
    if (!point) {
      problems.push(`${path}: not a point of profile '${host.profileName}'`);
      continue;
    }
    if (!point.writable) {
      problems.push(`${path}: read-only`);
      continue;
    }
    try {
      const raw = toRaw(point, leaf.value);
      if (point.commands?.includes(String(leaf.value))) {
        // A one-shot command (power cycle, reboot): sent once, never verified against a state (the
        // device passes through others meanwhile), then removed from desired; polls report the state.
        await host.exclusive(() => host.guarded(`write ${path}`, host.driver.write(point, path, raw)));
        commandsDone.push(path);
        continue;
      }
      const expected = point.verifyValues?.[String(leaf.value)] ?? point.verifyValue ?? raw;
      const value = await host.exclusive(() => writeAndVerify(host, point, path, raw, expected));
      setPath(reported, path, value);
      host.written(path, value);
    } catch (err) {
      if (err instanceof DriverError && err.kind === "unreachable") retry = true;
      else if (!(err instanceof DriverError || err instanceof ConvertError)) throw err;
      problems.push(err.message.startsWith(path) ? err.message : `${path}: ${err.message}`);
    }
  }
  if (commandsDone.length > 0) await clearCommands(host, commandsDone);
  if (problems.length === 0) return { reported };
  // The SDK reports either values or a condition: values already written go out on their own first.
  if (Object.keys(reported).length > 0) await host.link.report(reported);
  return { cannot: problems.join("; "), retry };
}

/**
 * A one-shot command that ran must not stay desired: a restarted bridge would see the same delta and
 * run it again. If the node cannot be told now, the SDK still never repeats it in this process.
 */
async function clearCommands(host: DesiredHost, paths: string[]): Promise<void> {
  if (!host.link.clearDesired) return;
  try {
    await host.link.clearDesired(paths);
  } catch (err) {
    host.log.warn(
      { thing: host.thing, paths, error: (err as Error).message },
      "could not clear a one-shot command from desired; it stays there until an operator clears it",
    );
  }
}

async function writeAndVerify(
  host: DesiredHost,
  point: PointSpec,
  path: string,
  raw: RawValue,
  expected: RawValue,
): Promise<JsonValue> {
  await host.guarded(`write ${path}`, host.driver.write(point, path, raw));
  if (point.verify === false) return toShadow(point, expected);
  let seen: RawValue | undefined;
  for (const delay of host.verifyDelays) {
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const readings = await host.guarded(`read back ${path}`, host.driver.read([point]));
    seen = readings.find((r) => r.path === path)?.value;
    if (seen !== undefined && rawEquals(point, seen, expected)) return toShadow(point, seen);
  }
  const shown = (v: RawValue | undefined) =>
    v === undefined ? "nothing" : JSON.stringify(toShadow(point, v));
  throw new DriverError("refused", `${path}: wrote ${shown(raw)} but the device reads back ${shown(seen)}`);
}
