import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { type NodeEvent, nodeEvents } from "../../broker/cli/node-client.ts";
import { type EventStream, openEventStream } from "../../broker/http/event-stream.ts";

/** A real Fastify server on 127.0.0.1 whose one route opens a stream and hands it to the test. */
async function serve(
  open: (stream: EventStream) => void,
  opts: Parameters<typeof openEventStream>[1] = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get("/events", async (_req, reply) => {
    open(openEventStream(reply, opts));
    return reply;
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}/events` };
}

/** Reads the response body as text until `until` holds or the stream ends (bounded by a deadline). */
async function readUntil(
  res: Response,
  until: (text: string) => boolean,
): Promise<{ text: string; ended: boolean }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) return { text, ended: true };
    text += decoder.decode(value, { stream: true });
    if (until(text)) {
      await reader.cancel();
      return { text, ended: false };
    }
  }
  throw new Error(`not seen within 20 s: ${text.slice(-200)}`);
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe("openEventStream (server-sent events for every stream of the node)", () => {
  it("sends the headers at once, one event:/data: frame per event and keep-alive comments", async () => {
    let ticks = 0;
    const served = await serve((s) => s.send("first", { n: 1, text: "a\nb" }), {
      keepAliveMs: 50,
      onKeepAlive: () => ticks++,
    });
    app = served.app;
    const res = await fetch(served.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const { text } = await readUntil(res, (t) => t.includes(": keep-alive\n\n"));
    // JSON keeps a newline in a string on the one data line.
    expect(text.startsWith('event: first\ndata: {"n":1,"text":"a\\nb"}\n\n')).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });

  it("ends with a last event, then runs the clean-ups once", async () => {
    let cleaned = 0;
    const served = await serve((s) => {
      s.onClose(() => cleaned++);
      s.send("one", {});
      s.end("end", { over: true });
      s.send("late", {}); // after the end: dropped
      s.end();
    });
    app = served.app;
    const { text, ended } = await readUntil(await fetch(served.url), () => false);
    expect(ended).toBe(true);
    expect(text).toBe('event: one\ndata: {}\n\nevent: end\ndata: {"over":true}\n\n');
    expect(cleaned).toBe(1);
  });

  it("runs the clean-ups when the client leaves, and at once for one added after", async () => {
    let stream: EventStream | undefined;
    let resolveGone: () => void = () => {};
    const gone = new Promise<void>((r) => {
      resolveGone = r;
    });
    const served = await serve((s) => {
      stream = s;
      s.onClose(resolveGone);
    });
    app = served.app;
    const abort = new AbortController();
    const res = await fetch(served.url, { signal: abort.signal });
    expect(res.status).toBe(200);
    abort.abort();
    await gone;
    expect(stream?.closed).toBe(true);
    let late = false;
    stream?.onClose(() => {
      late = true;
    });
    expect(late).toBe(true);
  });

  it("ends a stream whose reader stopped reading with `overflow`, instead of buffering without bound", async () => {
    let sent = 0;
    let closed = false;
    const served = await serve(
      (s) => {
        const chunk = { pad: "x".repeat(1024) };
        // Bounded: 64 MiB at most, far beyond what a socket and the 64 KiB bound can take.
        for (; sent < 64 * 1024 && !s.closed; sent++) s.send("pad", chunk);
        closed = s.closed;
      },
      { maxBacklogBytes: 64 * 1024 },
    );
    app = served.app;
    const { port } = new URL(served.url);
    const socket = connect(Number(port), "127.0.0.1");
    socket.pause(); // a reader that never reads
    socket.write("GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    const deadline = Date.now() + 20_000;
    while (sent === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024);
    // Once it reads again, the stream's last frame says why it ended.
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      text = (text + d).slice(-4096);
    });
    socket.resume();
    // The response says keep-alive, so its end is the chunked terminator, not the end of the socket.
    const last = /event: overflow\ndata: \{"reason":"the reader fell behind; reconnect"\}\n\n\r\n0\r\n\r\n$/;
    while (!last.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(text).toMatch(last);
    socket.destroy();
  }, 30_000);
});

describe("nodeEvents (the CLI's reader of those streams)", () => {
  it("yields each event once whole, however the bytes are split, and skips comments", async () => {
    const text =
      'event: ready\ndata: {"matching":2}\n\n: keep-alive\n\nevent: match\ndata: {"thing":"pdu-é"}\n\n';
    const bytes = new TextEncoder().encode(text);
    // Split every 5 bytes: frames, and the two bytes of "é", arrive in pieces.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
        controller.close();
      },
    });
    const events: NodeEvent[] = [];
    for await (const e of nodeEvents(body)) events.push(e);
    expect(events).toEqual([
      { event: "ready", data: { matching: 2 } },
      { event: "match", data: { thing: "pdu-é" } },
    ]);
  });
});
