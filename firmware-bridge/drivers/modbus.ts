import modbusSerial from "modbus-serial";
import { ProfileError } from "../profile.ts";
import {
  type DeviceSpec,
  type Driver,
  DriverError,
  type PointSpec,
  type RawValue,
  type Reading,
} from "../types.ts";
import {
  decodeRegisters,
  encodeRegisters,
  type ModbusAddress,
  modbusAddress,
  planReads,
  type ReadBlock,
} from "./modbus-codec.ts";

/**
 * Modbus TCP driver (modbus-serial: maintained, typed, promise API, and its TCP port matches replies by
 * transaction id so a late reply to a timed-out request is dropped instead of answering the next one).
 *
 * Several devices often sit behind one gateway (a serial-to-TCP converter with unit ids 1..n, or a PDU
 * chain). They share one TCP connection per host:port, and requests on it are serialized: gateways
 * handle one transaction at a time, and many close a second connection. The connection is opened on
 * demand and re-opened on the next request after it broke, so a device restart needs nothing special.
 */

const DEFAULT_PORT = 502;

/** Exception codes 10/11: the gateway could not reach the unit: the device is unreachable, not refusing. */
const GATEWAY_EXCEPTIONS = new Set([10, 11]);

// The package is CommonJS whose typings declare an ES default export: `.default` satisfies both.
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

class ModbusConnection {
  refs = 0;
  private client: Client | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Set by close(): a request still on its way (a poll being abandoned) must not open a new socket. */
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  get label(): string {
    return `${this.host}:${this.port}`;
  }

  /** Runs `op` for `unit` after every earlier request on this connection has settled. */
  run<T>(unit: number, timeoutMs: number, what: string, op: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new DriverError("unreachable", `modbus ${this.label}: connection closed`));
    const next = this.tail.then(() => this.exec(unit, timeoutMs, what, op));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async exec<T>(
    unit: number,
    timeoutMs: number,
    what: string,
    op: (c: Client) => Promise<T>,
  ): Promise<T> {
    const client = await this.connect(timeoutMs);
    client.setID(unit);
    client.setTimeout(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    // modbus-serial times requests out itself; this guard covers a socket destroyed mid-request, whose
    // pending transaction modbus-serial never settles.
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error("Timed out"), { errno: "ETIMEDOUT" })),
        timeoutMs + 250,
      );
    });
    try {
      return await Promise.race([op(client), guard]);
    } catch (err) {
      throw this.classify(err, unit, what, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  private classify(err: unknown, unit: number, what: string, timeoutMs: number): DriverError {
    const e = err as Error & { modbusCode?: number; errno?: string; code?: string };
    const where = `modbus ${this.label} unit ${unit}: ${what}`;
    if (typeof e.modbusCode === "number") {
      const kind = GATEWAY_EXCEPTIONS.has(e.modbusCode) ? "unreachable" : "refused";
      return new DriverError(kind, `${where}: ${e.message}`, { cause: err });
    }
    if (e.errno === "ETIMEDOUT") {
      // The socket may be fine (a silent unit id behind a gateway); a dead peer shows up as a closed socket.
      if (!this.client?.isOpen) this.drop();
      return new DriverError("unreachable", `${where}: no answer within ${timeoutMs} ms`, { cause: err });
    }
    this.drop();
    return new DriverError("unreachable", `${where}: ${e.code ?? e.errno ?? e.message}`, { cause: err });
  }

  private async connect(timeoutMs: number): Promise<Client> {
    if (this.client?.isOpen) return this.client;
    this.drop();
    if (this.closed) throw new DriverError("unreachable", `modbus ${this.label}: connection closed`);
    const client = new ModbusRTU();
    // The port emits 'error' on socket errors; the failed request reports it, the process must not die.
    client.on("error", () => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connectTCP(this.host, { port: this.port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), {
                  errno: "ECONNTIMEOUT",
                }),
              ),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      client.destroy(() => undefined);
      const e = err as NodeJS.ErrnoException & { errno?: string };
      throw new DriverError("unreachable", `modbus ${this.label}: cannot connect: ${e.code ?? e.message}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    return client;
  }

  /** Forgets the socket; the next request opens a new one. */
  drop(): void {
    const c = this.client;
    this.client = undefined;
    if (c) c.destroy(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    this.drop();
  }
}

/** One connection per gateway, shared by every device (unit id) behind it, closed with its last user. */
const connections = new Map<string, ModbusConnection>();

function acquire(host: string, port: number): ModbusConnection {
  const key = `${host}:${port}`;
  let c = connections.get(key);
  if (!c) {
    c = new ModbusConnection(host, port);
    connections.set(key, c);
  }
  c.refs++;
  return c;
}

async function release(c: ModbusConnection): Promise<void> {
  if (--c.refs > 0) return;
  connections.delete(`${c.host}:${c.port}`);
  await c.close();
}

/** `host`, `host:port`, `[v6]:port` or `modbus://host:port`. */
export function parseModbusAddress(address: string): { host: string; port: number } {
  const text = address.replace(/^modbus(\+tcp)?:\/\//, "");
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? DEFAULT_PORT : Number(m[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new ProfileError(`modbus address '${address}': expected host or host:port`);
  return { host: m[1], port };
}

function unitIdOf(device: DeviceSpec): number {
  const u = device.options.unitId ?? 1;
  if (typeof u !== "number" || !Number.isInteger(u) || u < 0 || u > 255)
    throw new ProfileError(
      `device ${device.thing}: options.unitId must be an integer 0..255, got ${JSON.stringify(u)}`,
    );
  return u;
}

export class ModbusDriver implements Driver {
  /** Every request has its own timeout; a poll may wait behind other units of the gateway (docs/bridge.md). */
  readonly timesItself = true;
  private readonly conn: ModbusConnection;
  private readonly unit: number;
  private readonly addrs = new Map<PointSpec, ModbusAddress>();
  private closed = false;

  constructor(private readonly device: DeviceSpec) {
    const { host, port } = parseModbusAddress(device.address);
    this.unit = unitIdOf(device);
    this.conn = acquire(host, port);
  }

  private addr(point: PointSpec): ModbusAddress {
    let a = this.addrs.get(point);
    if (!a) {
      a = modbusAddress(point, `device ${this.device.thing}`);
      this.addrs.set(point, a);
    }
    return a;
  }

  async read(points: readonly PointSpec[]): Promise<Reading[]> {
    const blocks = planReads(
      points.map((point) => ({ point, addr: this.addr(point) })),
      this.unit,
    );
    const readings: Reading[] = [];
    const refused: DriverError[] = [];
    for (const block of blocks) {
      if (this.closed) throw new DriverError("unreachable", `device ${this.device.thing}: driver closed`);
      try {
        readings.push(...(await this.readBlock(block)));
      } catch (err) {
        // One refused block (a register this model lacks) must not hide the others; no answer ends the poll.
        if (err instanceof DriverError && err.kind === "refused") refused.push(err);
        else throw err;
      }
    }
    if (refused.length > 0)
      throw new DriverError("refused", refused.map((e) => e.message).join("; "), {
        readings,
        cause: refused[0],
      });
    return readings;
  }

  private async readBlock(b: ReadBlock): Promise<Reading[]> {
    const what = `read ${b.table} ${b.start}..${b.start + b.count - 1}`;
    const t = this.device.timeoutMs;
    if (b.table === "coil" || b.table === "discrete") {
      const res = await this.conn.run(b.unit, t, what, (c) =>
        b.table === "coil" ? c.readCoils(b.start, b.count) : c.readDiscreteInputs(b.start, b.count),
      );
      return b.points.map(({ point, addr }) => ({
        path: point.path,
        value: res.data[addr.address - b.start] === true,
      }));
    }
    const res = await this.conn.run(b.unit, t, what, (c) =>
      b.table === "holding"
        ? c.readHoldingRegisters(b.start, b.count)
        : c.readInputRegisters(b.start, b.count),
    );
    return b.points.map(({ point, addr }) => {
      const from = addr.address - b.start;
      const words = res.data.slice(
        from,
        from + (point.type === "string" ? (addr.length ?? 1) : wordsFor(point)),
      );
      return { path: point.path, value: decodeRegisters(point, addr, words) };
    });
  }

  async write(point: PointSpec, _path: string, value: RawValue): Promise<void> {
    const addr = this.addr(point);
    const unit = addr.unit ?? this.unit;
    const t = this.device.timeoutMs;
    if (addr.table === "coil") {
      const on = value === true || value === 1 || value === 1n;
      await this.conn.run(unit, t, `write coil ${addr.address}`, (c) => c.writeCoil(addr.address, on));
      return;
    }
    if (addr.table !== "holding" || addr.bit !== undefined)
      throw new DriverError("refused", `${point.path}: ${addr.table} ${addr.address} is read-only`);
    let words: number[];
    try {
      words = encodeRegisters(point, addr, value);
    } catch (err) {
      throw new DriverError("refused", `${point.path}: ${(err as Error).message}`, { cause: err });
    }
    // FC6 for one register (some devices implement only that), FC16 for more.
    const first = words[0] as number;
    await this.conn.run<unknown>(unit, t, `write holding ${addr.address}`, (c) =>
      words.length === 1 ? c.writeRegister(addr.address, first) : c.writeRegisters(addr.address, words),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await release(this.conn);
  }
}

function wordsFor(point: PointSpec): number {
  const t = point.type ?? "uint16";
  return t === "int32" || t === "uint32" || t === "float32" ? 2 : t === "int64" || t === "uint64" ? 4 : 1;
}

/** Factory for the registry; validates the address and unit id at once so a bad config fails at start. */
export function createModbusDriver(device: DeviceSpec): Driver {
  return new ModbusDriver(device);
}

/** Checks every point's Modbus address of a profile (used by `umbra bridge --check` and at start). */
export function checkModbusPoints(points: readonly PointSpec[], where: string): void {
  for (const p of points) modbusAddress(p, where);
}
