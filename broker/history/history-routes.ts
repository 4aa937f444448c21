import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Principal, shadowDenial } from "../../shared/acl.ts";
import { ShadowError } from "../../shared/errors.ts";
import { HistoryParamError, parseListQuery, parsePoint } from "../../shared/history-query.ts";
import type { JsonObject } from "../../shared/json.ts";
import { renderShadow, type ShadowView } from "../../shared/shadow-document.ts";
import {
  CLASSIC_SHADOW,
  isValidShadowName,
  isValidThingName,
  type ShadowAddress,
} from "../../shared/topics.ts";
import { sendProblem } from "../http/problem.ts";
import type { HistoryQueries } from "./history-queries.ts";

type Query = Record<string, string | undefined>;
type HistoryRequest = FastifyRequest<{ Params: { thing: string }; Querystring: Query }>;

/**
 * The history API (docs/shadow-protocol.md, "History"): `GET /things/{thing}/shadow/history`,
 * `…/shadow/diff`, `…/shadow/blame`, and `GET /things/{thing}/shadow?at=` — the last is answered by
 * a preHandler in front of the plain get route (broker/http/server.ts), so that route stays as it was.
 * Whoever may get a shadow may read its history (viewers included).
 */
export function historyRoutes(
  app: FastifyInstance,
  principalOf: (req: FastifyRequest) => Principal,
  queries: HistoryQueries,
): void {
  /** The address asked for, or undefined after replying 400/403. */
  const addressOf = (req: HistoryRequest, reply: FastifyReply): ShadowAddress | undefined => {
    const { thing } = req.params;
    const name = req.query.name ?? CLASSIC_SHADOW;
    if (!isValidThingName(thing)) {
      sendProblem(reply, 400, "Invalid thing name: use 1-128 characters of [a-zA-Z0-9:_-]");
      return undefined;
    }
    if (name !== CLASSIC_SHADOW && !isValidShadowName(name)) {
      sendProblem(reply, 400, "Invalid shadow name: use 1-64 characters of [$a-zA-Z0-9:_-]");
      return undefined;
    }
    const denial = shadowDenial(principalOf(req), thing, "get");
    if (denial !== null) {
      sendProblem(reply, 403, denial);
      return undefined;
    }
    return { thing, shadow: name };
  };

  /** Runs a query, turning its errors into replies with their code. */
  const answer = (req: HistoryRequest, reply: FastifyReply, run: (addr: ShadowAddress) => JsonObject) => {
    const addr = addressOf(req, reply);
    if (!addr) return reply;
    try {
      return reply.code(200).send(run(addr));
    } catch (err) {
      if (err instanceof HistoryParamError) return sendProblem(reply, 400, err.message);
      if (err instanceof ShadowError) return sendProblem(reply, err.code, err.message);
      throw err;
    }
  };

  const required = (q: Query, name: string): string => {
    const v = q[name];
    if (v === undefined || v === "")
      throw new HistoryParamError(`${name} is required (a version or an ISO time)`);
    return v;
  };

  app.get<{ Params: { thing: string }; Querystring: Query }>(
    "/things/:thing/shadow/history",
    async (req, reply) => answer(req, reply, (addr) => queries.list(addr, parseListQuery(req.query))),
  );

  app.get<{ Params: { thing: string }; Querystring: Query }>(
    "/things/:thing/shadow/diff",
    async (req, reply) =>
      answer(req, reply, (addr) =>
        queries.diff(
          addr,
          parsePoint("from", required(req.query, "from")),
          parsePoint("to", required(req.query, "to")),
        ),
      ),
  );

  app.get<{ Params: { thing: string }; Querystring: Query }>(
    "/things/:thing/shadow/blame",
    async (req, reply) => answer(req, reply, (addr) => queries.blame(addr)),
  );

  // `GET /things/{thing}/shadow?at=`: the shadow as it was, rendered like a get document.
  app.addHook("preHandler", async (req, reply) => {
    if (req.method !== "GET" || req.routeOptions.url !== "/things/:thing/shadow") return;
    const q = req.query as Query;
    if (q.at === undefined) return;
    const r = req as HistoryRequest;
    return answer(r, reply, (addr) => {
      const state = queries.stateAt(addr, parsePoint("at", q.at ?? ""));
      if (!state.exists) {
        throw new ShadowError(404, `No shadow existed at version ${state.version} of '${addr.thing}'`);
      }
      const view: ShadowView = { ...state };
      return renderShadow(view, Math.floor(Date.now() / 1000)) as unknown as JsonObject;
    });
  });
}

/** With the record off (historyEnabled=false) the history routes, and `?at=`, say so instead of 404/ignoring. */
export function historyDisabledRoutes(app: FastifyInstance): void {
  const off = (reply: FastifyReply) =>
    sendProblem(reply, 404, "Shadow history is disabled on this node (historyEnabled=false)");
  for (const path of ["history", "diff", "blame"]) {
    app.get(`/things/:thing/shadow/${path}`, async (_req, reply) => off(reply));
  }
  app.addHook("preHandler", async (req, reply) => {
    if (req.method !== "GET" || req.routeOptions.url !== "/things/:thing/shadow") return;
    if ((req.query as Query).at !== undefined) return off(reply);
  });
}
