import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";

/** A target that records what it receives per connection and can write back. */
interface Target {
  server: Server;
  port: number;
  sockets: Socket[];
  received: Buffer[];
  closed: number;
}

async function startTarget(echo: boolean): Promise<Target> {
  const t: Target = { server: createServer(), port: 0, sockets: [], received: [], closed: 0 };
  t.server.on("connection", (s) => {
    t.sockets.push(s);
    s.on("data", (d: Buffer) => {
      t.received.push(d);
      if (echo) s.write(d);
    });
    s.on("error", () => {});
    s.on("close", () => t.closed++);
  });
  t.server.listen(0, "127.0.0.1");
  await once(t.server, "listening");
  t.port = (t.server.address() as { port: number }).port;
  return t;
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => {});
  await once(s, "connect");
  return s;
}

/** Polls until `check` holds, failing after `ms`. */
async function until(check: () => boolean, ms = 3000): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

const total = (bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0);
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

describe("fault proxy (real sockets)", () => {
  let target: Target;
  let proxy: FaultProxy;
  const clients: Socket[] = [];
  beforeEach(async () => {
    target = await startTarget(true);
    proxy = await startFaultProxy({ targetPort: target.port });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await proxy.close();
    for (const s of target.sockets) s.destroy();
    await new Promise((r) => target.server.close(r));
  });
  const client = async () => {
    const c = await dial(proxy.port);
    clients.push(c);
    return c;
  };

  it("forwards both ways and counts bytes", async () => {
    const c = await client();
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => got.push(d));
    const data = pattern(50_000);
    c.write(data);
    await until(() => total(got) === data.length);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(proxy.bytes.up.forwarded).toBe(data.length);
    expect(proxy.bytes.down.forwarded).toBe(data.length);
    expect(proxy.connections).toBe(1);
  });

  it("adds per-direction latency", async () => {
    proxy.shape("down", { latencyMs: 150 });
    const c = await client();
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => got.push(d));
    const start = performance.now();
    c.write("ping");
    await until(() => total(got) === 4);
    const rtt = performance.now() - start;
    expect(rtt).toBeGreaterThanOrEqual(148);
    expect(rtt).toBeLessThan(1000);
  });

  it("caps bandwidth like a serialising line and keeps order", async () => {
    proxy.shape("up", { bytesPerSec: 40_000 });
    const c = await client();
    const data = pattern(20_000);
    const start = performance.now();
    c.write(data);
    await until(() => total(target.received) === data.length);
    const secs = (performance.now() - start) / 1000;
    // 20 kB at 40 kB/s: 0.5 s, less the initial burst.
    expect(secs).toBeGreaterThan(0.4);
    expect(secs).toBeLessThan(1.0);
    expect(Buffer.concat(target.received).equals(data)).toBe(true);
  });

  it("stalls without closing, then delivers everything on heal", async () => {
    const c = await client();
    await until(() => target.sockets.length === 1);
    proxy.stall("up");
    c.write(pattern(5000));
    await new Promise((r) => setTimeout(r, 200));
    expect(total(target.received)).toBe(0);
    expect(proxy.pending("up")).toBe(5000);
    expect(c.destroyed).toBe(false);
    expect(target.closed).toBe(0);
    proxy.heal();
    await until(() => total(target.received) === 5000);
    expect(Buffer.concat(target.received).equals(pattern(5000))).toBe(true);
  });

  it("half-open drops one direction silently while the other still flows", async () => {
    const c = await client();
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => got.push(d));
    await until(() => target.sockets.length === 1);
    proxy.halfOpen("up");
    c.write(pattern(3000));
    await until(() => proxy.bytes.up.discarded === 3000);
    expect(total(target.received)).toBe(0);
    (target.sockets[0] as Socket).write("from-target");
    await until(() => total(got) === 11);
    expect(Buffer.concat(got).toString()).toBe("from-target");
    expect(c.destroyed).toBe(false);
  });

  it("resets destroy both ends; cut refuses new connections until restore", async () => {
    const c = await client();
    await until(() => target.sockets.length === 1);
    const clientClosed = once(c, "close");
    proxy.reset();
    await clientClosed;
    await until(() => target.closed === 1);
    expect(proxy.open).toBe(0);

    proxy.cut();
    const refused = await dial(proxy.port);
    clients.push(refused);
    await once(refused, "close");
    expect(target.sockets.length).toBe(1);

    proxy.restore();
    const again = await client();
    const got: Buffer[] = [];
    again.on("data", (d: Buffer) => got.push(d));
    again.write("back");
    await until(() => total(got) === 4);
    expect(proxy.connections).toBe(2);
  });
});
