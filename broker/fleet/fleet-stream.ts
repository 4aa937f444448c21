import type { FastifyReply } from "fastify";
import { compileQuery, parseQuery } from "../../shared/query/index.ts";
import { openEventStream } from "../http/event-stream.ts";
import type { FleetIndex } from "./fleet-index.ts";
import { recordJson } from "./record-json.ts";

/**
 * `GET /things/stream?q=…`: server-sent events for every change of a thing matching the query
 * (`match`), and `unmatch` when a change makes a thing that matched stop matching. Parses the query
 * before answering, so a bad query is a 400 (QueryError thrown to the caller). A reader that falls
 * behind gets `overflow` and the end (broker/http/event-stream.ts).
 */
export function streamMatches(index: FleetIndex, q: string, reply: FastifyReply): FastifyReply {
  const matches = compileQuery(parseQuery(q));
  const inside = new Set<string>();
  for (const r of index.all()) if (matches(r)) inside.add(r.thing);
  const stream = openEventStream(reply);
  stream.send("ready", { matching: inside.size });
  const unsubscribe = index.subscribe((r, thing) => {
    if (r && matches(r)) {
      inside.add(thing);
      stream.send("match", { thing, record: recordJson(r) });
    } else if (inside.delete(thing)) {
      stream.send("unmatch", { thing });
    }
  });
  stream.onClose(unsubscribe);
  return reply;
}
