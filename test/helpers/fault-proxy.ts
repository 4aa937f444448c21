import { connect, createServer, type Server, type Socket } from "node:net";
import { FaultPipe, type PipeCounters, type PipeShape } from "./fault-pipe.ts";

/**
 * A fault-injecting loopback TCP proxy (a superset of tcp-proxy.ts) for relay and link tests.
 * Directions: `up` = client → target, `down` = target → client. Per direction: latency, a bandwidth
 * cap (token bucket, order kept), stalls (nothing forwarded, sockets stay open), half-open (bytes
 * silently discarded, sockets stay open, like a NAT that lost its state for one way). Plus `reset()`
 * (destroy both ends of every connection), `cut()`/`restore()` (reset and refuse new connections) and
 * byte counters each way. Shapes and faults apply to open and future connections alike. Every timer
 * and socket is released by `close()`.
 */
export type Dir = "up" | "down";
export type Dirs = Dir | "both";

export interface FaultProxyOptions {
  targetPort: number;
  targetHost?: string;
  up?: Partial<PipeShape>;
  down?: Partial<PipeShape>;
}

export interface FaultProxy {
  readonly port: number;
  readonly url: string;
  /** Connections accepted and piped to the target so far. */
  readonly connections: number;
  /** Connections currently open. */
  readonly open: number;
  /** Bytes forwarded / discarded per direction, over all connections. */
  readonly bytes: Record<Dir, PipeCounters>;
  /** Bytes held in the proxy (latency, rate cap or stall) per direction. */
  pending(dir: Dir): number;
  shape(dirs: Dirs, shape: Partial<PipeShape>): void;
  stall(dirs?: Dirs): void;
  /** Ends stalls and half-open drops. */
  heal(dirs?: Dirs): void;
  halfOpen(dirs: Dirs): void;
  reset(): void;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Conn {
  client: Socket;
  upstream: Socket;
  pipes: Record<Dir, FaultPipe>;
}

const dirsOf = (d: Dirs): Dir[] => (d === "both" ? ["up", "down"] : [d]);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const shapes: Record<Dir, PipeShape> = {
    up: { latencyMs: 0, bytesPerSec: 0, ...options.up },
    down: { latencyMs: 0, bytesPerSec: 0, ...options.down },
  };
  const faults: Record<Dir, { stalled: boolean; halfOpen: boolean }> = {
    up: { stalled: false, halfOpen: false },
    down: { stalled: false, halfOpen: false },
  };
  const bytes: Record<Dir, PipeCounters> = {
    up: { forwarded: 0, discarded: 0 },
    down: { forwarded: 0, discarded: 0 },
  };
  const conns = new Set<Conn>();
  let accepting = true;
  let connections = 0;

  const drop = (c: Conn) => {
    if (!conns.delete(c)) return;
    c.pipes.up.close();
    c.pipes.down.close();
    c.client.destroy();
    c.upstream.destroy();
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (!accepting) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = connect({
      port: options.targetPort,
      host: options.targetHost ?? "127.0.0.1",
      allowHalfOpen: true,
    });
    const c: Conn = {
      client,
      upstream,
      pipes: {
        up: new FaultPipe(client, upstream, () => shapes.up, bytes.up),
        down: new FaultPipe(upstream, client, () => shapes.down, bytes.down),
      },
    };
    for (const d of ["up", "down"] as const) Object.assign(c.pipes[d], faults[d]);
    conns.add(c);
    for (const s of [client, upstream]) {
      s.on("error", () => drop(c));
      s.on("close", () => drop(c));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const setFault = (dirs: Dirs, patch: Partial<{ stalled: boolean; halfOpen: boolean }>) => {
    for (const d of dirsOf(dirs)) {
      Object.assign(faults[d], patch);
      for (const c of conns) {
        Object.assign(c.pipes[d], patch);
        c.pipes[d].pump();
      }
    }
  };
  const reset = () => {
    for (const c of [...conns]) drop(c);
  };

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get open() {
      return conns.size;
    },
    bytes,
    pending(dir) {
      let n = 0;
      for (const c of conns) n += c.pipes[dir].pending;
      return n;
    },
    shape(dirs, shape) {
      for (const d of dirsOf(dirs)) Object.assign(shapes[d], shape);
      for (const c of conns) for (const d of dirsOf(dirs)) c.pipes[d].pump();
    },
    stall: (dirs = "both") => setFault(dirs, { stalled: true }),
    heal: (dirs = "both") => setFault(dirs, { stalled: false, halfOpen: false }),
    halfOpen: (dirs) => setFault(dirs, { halfOpen: true }),
    reset,
    cut() {
      accepting = false;
      reset();
    },
    restore() {
      accepting = true;
    },
    close() {
      accepting = false;
      reset();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
