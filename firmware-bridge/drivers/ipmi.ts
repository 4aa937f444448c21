import { execFile } from "node:child_process";
import {
  type DeviceIdentity,
  type DeviceSpec,
  type Driver,
  DriverError,
  type PointSpec,
  type RawValue,
  type Reading,
} from "../types.ts";
import { parseFru } from "./ipmi-fru.ts";
import {
  classifyFailure,
  type IpmiAddress,
  IpmiAuthError,
  POWER_COMMANDS,
  parseIpmiAddress,
  parsePowerStatus,
  parseSdrRows,
  parseSensorReadings,
} from "./ipmi-output.ts";
import { SdrCache } from "./ipmi-sdr-cache.ts";

/**
 * IPMI driver: runs Debian's `ipmitool` against a BMC over the network (`lanplus` = IPMI 2.0 RMCP+, or
 * `lan` = IPMI 1.5). ipmitool rather than an IPMI library because it is what every operator already
 * trusts and debugs with, it speaks every BMC quirk, and IPMI is polled slowly (power and sensors),
 * so a process per poll costs nothing that matters.
 *
 * The password is handed over in the IPMI_PASSWORD environment variable (`-E`), never on the argv,
 * where any local user could read it from /proc. Commands run with execFile (no shell), so sensor
 * names from profiles are plain arguments.
 *
 * Device options: `username`, `password`, `interface` (`lanplus` default | `lan`), `cipherSuite`
 * (lanplus `-C`; ipmitool ≥ 1.8.19 defaults to 17, older BMCs need 3), `privilege` (`-L`, e.g.
 * OPERATOR), `ipmitool` (binary path, default `ipmitool` on PATH).
 */
export function createIpmiDriver(device: DeviceSpec): Driver {
  const o = device.options;
  const fail = (msg: string) => new DriverError("refused", `device ${device.thing}: IPMI ${msg}`);
  const str = (name: string): string | undefined => {
    const v = o[name];
    if (v === undefined || (typeof v === "string" && v !== "")) return v;
    throw fail(`option ${name} must be a non-empty string`);
  };
  const iface = str("interface") ?? "lanplus";
  if (iface !== "lanplus" && iface !== "lan") throw fail(`option interface must be "lanplus" or "lan"`);
  const cipher = o.cipherSuite;
  if (
    cipher !== undefined &&
    (!Number.isInteger(cipher) || (cipher as number) < 0 || (cipher as number) > 17)
  ) {
    throw fail("option cipherSuite must be an integer 0–17");
  }
  const { host, port } = parseHostPort(device.address, fail);
  const args = ["-I", iface, "-H", host, "-p", String(port)];
  const username = str("username");
  if (username !== undefined) args.push("-U", username);
  if (cipher !== undefined && iface === "lanplus") args.push("-C", String(cipher));
  const privilege = str("privilege");
  if (privilege !== undefined) args.push("-L", privilege);
  // ipmitool counts its timeout in whole seconds per try; two tries fit the engine's request timeout.
  const perTry = Math.max(1, Math.floor(device.timeoutMs / 2000));
  const password = str("password");
  args.push("-N", String(perTry), "-R", "1", "-v");
  // -E: the password comes from IPMI_PASSWORD; without a password ipmitool uses a null one.
  if (password !== undefined) args.push("-E");
  return new IpmiDriver({
    binary: str("ipmitool") ?? "ipmitool",
    baseArgs: args,
    password: password ?? "",
    // The hard kill leaves ipmitool its own retry budget plus a margin for process start-up.
    killAfterMs: Math.max(device.timeoutMs, perTry * 2000) + 1000,
    where: `${host}:${port}`,
  });
}

const SDR_DUMP_KILL_MS = 120_000;

/** A failed ipmitool run with what it printed before failing (partial sensor output). */
class IpmitoolError extends DriverError {
  constructor(
    failure: DriverError,
    readonly stdout: string,
  ) {
    super(failure.kind, failure.message);
  }
}

export interface IpmitoolRunner {
  binary: string;
  baseArgs: string[];
  password: string;
  killAfterMs: number;
  /** host:port, for messages. */
  where: string;
}

export class IpmiDriver implements Driver {
  private readonly addresses = new WeakMap<PointSpec, IpmiAddress>();

  private readonly sdr: SdrCache;

  constructor(private readonly run: IpmitoolRunner) {
    // The dump is one IPMI request per SDR record: minutes-long budget, since ipmitool itself gives up
    // after its per-try timeout when the BMC stops answering.
    this.sdr = new SdrCache((args) => this.ipmitool(args, SDR_DUMP_KILL_MS));
  }

  /**
   * A refused command (unknown sensor or SDR type, a command the BMC does not support) fails only its
   * points: the rest are read and the error is thrown at the end with their readings. No answer and
   * authentication failures abort the poll at once.
   */
  async read(points: readonly PointSpec[]): Promise<Reading[]> {
    const readings: Reading[] = [];
    const problems = new Set<string>();
    const sensors: [PointSpec, string][] = [];
    const byType = new Map<string, string>();
    const refused = (err: unknown): string => {
      if (err instanceof DriverError && err.kind === "refused" && !(err instanceof IpmiAuthError)) {
        problems.add(err.message);
        return err instanceof IpmitoolError ? err.stdout : "";
      }
      throw err;
    };
    for (const point of points) {
      const addr = this.address(point);
      if (addr.kind === "power") {
        try {
          const status = parsePowerStatus(await this.ipmitool(["chassis", "power", "status"]));
          readings.push({ path: point.path, value: status });
        } catch (err) {
          refused(err);
        }
      } else if (addr.kind === "sensor") {
        sensors.push([point, addr.name]);
      } else {
        if (!byType.has(addr.type)) {
          // A refused type is remembered as empty: its error is reported once per poll.
          const out = await this.sdrType(addr.type).catch((err: unknown) => {
            refused(err);
            return "";
          });
          byType.set(addr.type, out);
        }
        const out = byType.get(addr.type) ?? "";
        for (const [index, value] of parseSdrRows(out)) {
          readings.push({ path: point.path.replaceAll("{index}", index), value });
        }
      }
    }
    if (sensors.length > 0) {
      // One ipmitool run (one RMCP+ session) for all named sensors; on "not found" its output still
      // holds the sensors that were found.
      const names = [...new Set(sensors.map(([, n]) => n))];
      const out = await this.sensorCommand(["-c", "sensor", "reading", ...names]).catch(refused);
      const values = parseSensorReadings(out);
      for (const [point, name] of sensors) {
        const value = values.get(name);
        if (value !== undefined) readings.push({ path: point.path, value });
      }
    }
    if (problems.size > 0) throw new DriverError("refused", [...problems].join("; "), { readings });
    return readings;
  }

  /** `sdr type <type>` output; an unknown type makes ipmitool print its list of types and exit 0. */
  private async sdrType(type: string): Promise<string> {
    const out = await this.sensorCommand(["-c", "sdr", "type", type]);
    if (out.includes("Sensor Types:")) {
      throw new DriverError("refused", `IPMI: unknown SDR sensor type "${type}" (see ipmitool sdr type)`);
    }
    return out;
  }

  /** The FRU inventory of the BMC's own device (ID 0): `ipmitool fru print 0` (ipmi-fru.ts). */
  async identify(): Promise<DeviceIdentity> {
    return parseFru(await this.ipmitool(["fru", "print", "0"]));
  }

  async write(point: PointSpec, _path: string, value: RawValue): Promise<void> {
    const addr = this.address(point);
    if (addr.kind !== "power") {
      throw new DriverError("refused", `IPMI point ${point.path}: sensors are read-only`);
    }
    const command = String(value).toLowerCase();
    if (!(POWER_COMMANDS as readonly string[]).includes(command)) {
      throw new DriverError(
        "refused",
        `IPMI point ${point.path}: power value must be one of ${POWER_COMMANDS.join(", ")}, got ${String(value)}`,
      );
    }
    await this.ipmitool(["chassis", "power", command]);
  }

  async close(): Promise<void> {
    // Every ipmitool run opens and closes its own session: only the SDR cache file is held.
    this.sdr.close();
  }

  /** A sensor command with the SDR cache; a refused one (sensor gone or new?) re-dumps next time. */
  private async sensorCommand(command: string[]): Promise<string> {
    const cache = await this.sdr.args();
    try {
      return await this.ipmitool([...cache, ...command]);
    } catch (err) {
      if (err instanceof DriverError && err.kind === "refused") this.sdr.invalidate();
      throw err;
    }
  }

  private ipmitool(command: string[], killAfterMs = this.run.killAfterMs): Promise<string> {
    const shown = command.filter((c, i) => c !== "-c" && c !== "-S" && command[i - 1] !== "-S");
    const what = `ipmitool ${shown.join(" ")} at ${this.run.where}`;
    return new Promise((resolve, reject) => {
      execFile(
        this.run.binary,
        [...this.run.baseArgs, ...command],
        {
          timeout: killAfterMs,
          killSignal: "SIGKILL",
          maxBuffer: 4 * 1024 * 1024,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", IPMI_PASSWORD: this.run.password },
        },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === "ENOENT") {
            return reject(
              new DriverError(
                "refused",
                `${this.run.binary} not found: install ipmitool (Debian: apt-get install ipmitool) or set the ipmitool option`,
              ),
            );
          }
          const failure = classifyFailure(what, stderr, e.killed === true);
          reject(failure instanceof IpmiAuthError ? failure : new IpmitoolError(failure, stdout));
        },
      );
    });
  }

  private address(point: PointSpec): IpmiAddress {
    let addr = this.addresses.get(point);
    if (addr === undefined) {
      addr = parseIpmiAddress(point);
      this.addresses.set(point, addr);
    }
    return addr;
  }
}

/** `host`, `host:port` or `[v6]:port`; the default port is 623 (RMCP). */
function parseHostPort(address: string, fail: (m: string) => Error): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(address.trim());
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? 623 : Number(m[3]);
  if (!host || host.startsWith("-") || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail(`address "${address}" must be host or host:port (UDP port, default 623)`);
  }
  return { host, port };
}

/** Start-up check of a profile's IPMI addresses (`where` names the device or profile). */
export function checkIpmiPoints(points: readonly PointSpec[], where: string): void {
  for (const point of points) {
    try {
      parseIpmiAddress(point);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
}
