import type { FastifyReply } from "fastify";
import { compileQuery, parseQuery } from "../../shared/query/index.ts";
import { type EventStream, openEventStream } from "../http/event-stream.ts";
import type { FleetIndex } from "./fleet-index.ts";
import { recordJson } from "./record-json.ts";

/**
 * `GET /things/stream?q=…`: server-sent events for every change of a thing matching the query
 * (`match`), and `unmatch` when a change makes a thing that matched stop matching. Parses the query
 * before answering, so a bad query is a 400 (QueryError thrown to the caller). A reader that falls
 * behind gets `overflow` and the end (broker/http/event-stream.ts).
 */
export function streamMatches(index: FleetIndex, q: string, reply: FastifyReply): FastifyReply {
  const follow = matchFollower(index, q);
  const stream = openEventStream(reply);
  stream.send("ready", { matching: follow(stream) });
  return reply;
}

/**
 * Parses `q` (a QueryError is thrown here, before anything is sent) and returns what follows it on a
 * stream: `match` and `unmatch` events until the stream closes; it answers how many things match now.
 * Also what the console's one event stream follows for a page (broker/http/console-follows.ts).
 */
export function matchFollower(index: FleetIndex, q: string): (stream: EventStream) => number {
  const matches = compileQuery(parseQuery(q));
  return (stream) => {
    const inside = new Set<string>();
    for (const r of index.all()) if (matches(r)) inside.add(r.thing);
    const unsubscribe = index.subscribe((r, thing) => {
      if (r && matches(r)) {
        inside.add(thing);
        stream.send("match", { thing, record: recordJson(r) });
      } else if (inside.delete(thing)) {
        stream.send("unmatch", { thing });
      }
    });
    stream.onClose(unsubscribe);
    return inside.size;
  };
}
