import type { Aedes, AedesPublishPacket } from "aedes";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { renderShadow } from "../../shared/shadow-document.ts";
import { CLASSIC_SHADOW, parsePresenceTopic } from "../../shared/topics.ts";
import type { PresenceTracker } from "../presence.ts";
import type { ShadowChange, ShadowService } from "../shadow/shadow-service.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import { ConsoleStreams, consoleFollowRoutes, type FollowSources } from "./console-follows.ts";
import { openEventStream } from "./event-stream.ts";
import { fleetReader, sendProblem } from "./problem.ts";
import { summariseShadow, type ThingSummary } from "./thing-summary.ts";

export interface ConsoleApiDeps {
  service: ShadowService;
  store: ShadowStore;
  presence: PresenceTracker;
  broker: Aedes;
  /** What a page's stream may follow besides the summaries (console-follows.ts). */
  followQuery?: FollowSources["followQuery"];
  followJob?: FollowSources["followJob"];
}

/** Names scanned per SQLite page while filtering; the scan stops after `MAX_SCAN` names. */
const SCAN_PAGE = 1000;
const MAX_SCAN = 1_000_000;
/**
 * Bytes of events waiting for a slow page before its stream is closed (a frozen tab, a stalled link);
 * the browser reconnects and the page re-reads.
 */
const MAX_BUFFERED = 1024 * 1024;

/**
 * The console's two reads that the HTTP API has no general form for yet (the fleet query API will
 * replace them; docs/console.md):
 * - `GET /console/api/things?cursor=&limit=&filter=`: a page of things (names containing `filter`)
 *   with presence, delta, conflicts and last report, in one request instead of one per row.
 * - `GET /console/api/events`: server-sent events for the whole node: `shadow` (a summary of every
 *   change) and `presence` (every connect and disconnect), for live tables without reloads. A revoked
 *   session or token ends it within seconds (the server's re-check of open requests, server.ts).
 *   `hello` names the stream; `PUT /console/api/events/{stream}/follows/{key}` makes it also carry
 *   a fleet query's or a job's events, so a page needs no stream of its own (console-follows.ts).
 */
export function consoleApiRoutes(
  app: FastifyInstance,
  deps: ConsoleApiDeps,
  principalOf: (req: FastifyRequest) => Principal,
): void {
  const reader = (req: FastifyRequest, reply: FastifyReply) => {
    const p = principalOf(req);
    return fleetReader(p, reply) ? p : undefined;
  };

  app.get<{ Querystring: { cursor?: string; limit?: string; filter?: string } }>(
    "/console/api/things",
    async (req, reply) => {
      const p = reader(req, reply);
      if (!p) return reply;
      const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        return sendProblem(reply, 400, "limit must be an integer from 1 to 500");
      }
      const filter = (req.query.filter ?? "").toLowerCase();
      const { names, nextCursor } = pageOfNames(deps.store, req.query.cursor ?? "", limit, filter);
      const rows = await Promise.all(names.map((thing) => summarise(deps, thing, p)));
      return { things: rows, ...(nextCursor !== undefined ? { nextCursor } : {}) };
    },
  );

  const streams = new ConsoleStreams();
  consoleFollowRoutes(app, streams, deps, reader);

  app.get("/console/api/events", async (req, reply) => {
    const p = reader(req, reply);
    if (!p) return reply;
    const stream = openEventStream(reply, { maxBacklogBytes: MAX_BUFFERED });
    const onChange = (change: ShadowChange) => {
      const { thing, shadow } = change.addr;
      if (change.kind === "delete" || !change.current.exists) {
        stream.send("shadow", { thing, shadow, deleted: true, version: change.current.version });
        return;
      }
      const doc = renderShadow(change.current, change.timestamp);
      stream.send("shadow", { thing, shadow, ...summariseShadow(doc) });
    };
    const onPublish = (packet: AedesPublishPacket) => {
      const thing = parsePresenceTopic(packet.topic);
      if (thing === null) return;
      try {
        stream.send("presence", { thing, connection: JSON.parse(packet.payload.toString()) });
      } catch {
        // a presence payload that is not JSON is not the node's: ignore it
      }
    };
    deps.service.on("change", onChange);
    deps.broker.on("publish", onPublish);
    stream.onClose(() => {
      deps.service.off("change", onChange);
      deps.broker.off("publish", onPublish);
    });
    stream.send("hello", { name: p.name, role: p.role, stream: streams.add(p.name, stream) });
  });
}

/** A page of thing names after `cursor`, keeping those that contain `filter` (scan bounded). */
function pageOfNames(
  store: ShadowStore,
  cursor: string,
  limit: number,
  filter: string,
): { names: string[]; nextCursor?: string } {
  if (!filter) {
    const page = store.listThings(cursor, limit);
    return { names: page.things, nextCursor: page.nextCursor };
  }
  const names: string[] = [];
  let after = cursor;
  for (let scanned = 0; scanned < MAX_SCAN; scanned += SCAN_PAGE) {
    const page = store.listThings(after, SCAN_PAGE);
    for (const thing of page.things) {
      if (!thing.toLowerCase().includes(filter)) continue;
      if (names.length === limit) return { names, nextCursor: names[names.length - 1] };
      names.push(thing);
    }
    if (page.nextCursor === undefined) break;
    after = page.nextCursor;
  }
  return { names };
}

async function summarise(deps: ConsoleApiDeps, thing: string, p: Principal): Promise<ThingSummary> {
  const names = deps.store.listShadows(thing);
  const classic = names.includes(CLASSIC_SHADOW);
  const row: ThingSummary = {
    thing,
    shadows: names.filter((n) => n !== CLASSIC_SHADOW),
    classic,
    deltaLeaves: 0,
    conflictLeaves: 0,
  };
  const connection = deps.presence.shown(thing);
  if (connection) row.connection = connection;
  if (!classic) return row;
  const got = await deps.service.get({ thing, shadow: CLASSIC_SHADOW }, "", p);
  if (got.ok)
    Object.assign(row, summariseShadow(got.body as unknown as Parameters<typeof summariseShadow>[0]));
  return row;
}
