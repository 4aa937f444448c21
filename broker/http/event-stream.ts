import type { FastifyReply } from "fastify";

/** How often an idle stream sends a comment, so proxies and browsers keep the connection. */
const KEEP_ALIVE_MS = 15_000;
/** Bytes waiting for a slow reader before its stream is closed with an `overflow` event. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

export interface EventStreamOptions {
  /** Comment (`: keep-alive`) interval; default 15 s. */
  keepAliveMs?: number;
  /** Called with each keep-alive, for a stream that also polls (a job that may be over). */
  onKeepAlive?: () => void;
  /** Backlog bound for a reader that stopped reading; default 4 MiB. */
  maxBacklogBytes?: number;
}

/** One open server-sent event stream (GET answered with `text/event-stream`). */
export interface EventStream {
  /** Sends `event` with `data` as one JSON line; past the backlog bound ends the stream with `overflow`. */
  send(event: string, data: unknown): void;
  /** Ends the stream, after one last event if given. */
  end(event?: string, data?: unknown): void;
  /** Runs `cleanup` once the stream is over (ended, or the client left); at once if it already is. */
  onClose(cleanup: () => void): void;
  /** True once the stream is over. */
  readonly closed: boolean;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Takes over `reply` and answers with server-sent events: the headers (sent at once, so a stream with
 * nothing to say yet is still seen as open), one `event:`/`data:` frame per event, keep-alive comments,
 * and clean-up when the client leaves. A reader that falls `maxBacklogBytes` behind gets an `overflow`
 * event and the end (a browser reconnects and re-reads) instead of the node buffering without bound.
 * Revocation is not this module's: the HTTP server re-checks the credentials of every request open for
 * more than a few seconds and closes the socket of one revoked since (broker/http/server.ts).
 */
export function openEventStream(reply: FastifyReply, opts: EventStreamOptions = {}): EventStream {
  const maxBacklog = opts.maxBacklogBytes ?? MAX_BACKLOG_BYTES;
  reply.hijack();
  const res = reply.raw;
  const cleanups: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  const stream: EventStream = {
    send(event, data) {
      if (closed || res.writableEnded) return;
      if (res.writableLength > maxBacklog) {
        stream.end("overflow", { reason: "the reader fell behind; reconnect" });
        return;
      }
      res.write(frame(event, data));
    },
    end(event, data) {
      if (!res.writableEnded) res.end(event === undefined ? undefined : frame(event, data));
      close();
    },
    onClose(cleanup) {
      if (closed) cleanup();
      else cleanups.push(cleanup);
    },
    get closed() {
      return closed;
    },
  };
  const keepAlive = setInterval(() => {
    if (res.writableEnded) return;
    res.write(": keep-alive\n\n");
    opts.onKeepAlive?.();
  }, opts.keepAliveMs ?? KEEP_ALIVE_MS);
  res.on("close", close);
  if (res.destroyed) {
    close(); // the client left before the stream opened
    return stream;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.flushHeaders();
  return stream;
}
