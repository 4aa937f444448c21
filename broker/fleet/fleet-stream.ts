import type { FastifyReply, FastifyRequest } from "fastify";
import { compileQuery, parseQuery } from "../../shared/query/index.ts";
import type { FleetIndex } from "./fleet-index.ts";
import { recordJson } from "./record-json.ts";

/** At most this many events wait for a slow reader; beyond it the stream is closed with an `overflow` event. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * `GET /things/stream?q=…`: server-sent events for every change of a thing matching the query
 * (`match`), and `unmatch` when a change makes a thing that matched stop matching. Parses the query
 * before answering, so a bad query is a 400 (QueryError thrown to the caller).
 */
export function streamMatches(
  index: FleetIndex,
  q: string,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const matches = compileQuery(parseQuery(q));
  const inside = new Set<string>();
  for (const r of index.all()) if (matches(r)) inside.add(r.thing);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.write(`event: ready\ndata: ${JSON.stringify({ matching: inside.size })}\n\n`);
  const unsubscribe = index.subscribe((r, thing) => {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      res.end(
        `event: overflow\ndata: ${JSON.stringify({ reason: "the reader fell behind; reconnect" })}\n\n`,
      );
      return;
    }
    if (r && matches(r)) {
      inside.add(thing);
      res.write(`event: match\ndata: ${JSON.stringify({ thing, record: recordJson(r) })}\n\n`);
    } else if (inside.delete(thing)) {
      res.write(`event: unmatch\ndata: ${JSON.stringify({ thing })}\n\n`);
    }
  });
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  req.raw.on("close", () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
  return reply;
}
