import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { mayOperate, mayReadFleet } from "../../shared/acl.ts";
import { writeOrigin } from "../../shared/attribute-origins.ts";
import { AttributeError } from "../../shared/fleet-attributes.ts";
import { SystemError } from "../../shared/fleet-systems.ts";
import type { JsonValue } from "../../shared/json.ts";
import { QueryError } from "../../shared/query/index.ts";
import { isValidThingName } from "../../shared/topics.ts";
import { fleetReader, problemBody, sendProblem } from "../http/problem.ts";
import { AttributeConflict } from "./attribute-store.ts";
import { countThings, type FindRequest, findThings } from "./fleet-query.ts";
import type { FleetService } from "./fleet-service.ts";
import { streamMatches } from "./fleet-stream.ts";

const now = () => Math.floor(Date.now() / 1000);

/** The error answer for the fleet's own errors (the API's `{code, message, timestamp}` shape). */
export function sendFleetError(reply: FastifyReply, err: unknown): FastifyReply {
  const [code, extra] =
    err instanceof QueryError
      ? [400, { error: err.code, position: err.position, problem: err.problem }]
      : err instanceof AttributeError
        ? [400, { error: err.code }]
        : err instanceof AttributeConflict
          ? [409, { error: err.code }]
          : err instanceof SystemError
            ? [err.status, {}]
            : [undefined, {}];
  if (code === undefined) throw err;
  return reply.code(code).send({ ...problemBody(code, (err as Error).message), ...extra });
}

function parseJsonBody(body: unknown): JsonValue {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new AttributeError("the body must be JSON");
  }
}

function optionalVersion(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new AttributeError("version must be a non-negative integer");
  return v;
}

type Q = Record<string, string | undefined>;

/** `GET /things` with q/sort/fields (the plain listing without them stays in broker/http/server.ts). */
export function answerThingQuery(
  fleet: FleetService,
  req: FastifyRequest,
  reply: FastifyReply,
  who: Principal,
) {
  if (!mayReadFleet(who)) return sendProblem(reply, 403, `role ${who.role} may not list things`);
  const q = req.query as Q;
  try {
    const find: FindRequest = {};
    for (const k of ["q", "sort", "fields", "cursor"] as const) if (q[k] !== undefined) find[k] = q[k];
    if (q.limit !== undefined) find.limit = Number(q.limit);
    const result = findThings(fleet.index, find);
    const incomplete = fleet.incomplete();
    if (incomplete && !result.partial) result.partial = { reason: incomplete, examined: fleet.index.size };
    return reply.send(result);
  } catch (err) {
    return sendFleetError(reply, err);
  }
}

/** True when `GET /things` should be answered by the fleet query (any of q, sort, fields given). */
export const isFleetQuery = (query: unknown) => {
  const q = query as Q;
  return q.q !== undefined || q.sort !== undefined || q.fields !== undefined;
};

export function fleetRoutes(
  fleet: FleetService,
  app: FastifyInstance,
  who: (req: FastifyRequest) => Principal,
): void {
  const guardRead = (req: FastifyRequest, reply: FastifyReply) => !fleetReader(who(req), reply);

  app.get("/things/count", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    const q = req.query as Q;
    try {
      const r: Parameters<typeof countThings>[1] = {};
      for (const k of ["q", "groupBy", "stat"] as const) if (q[k] !== undefined) r[k] = q[k];
      const result = countThings(fleet.index, r);
      const incomplete = fleet.incomplete();
      if (incomplete && !result.partial) result.partial = { reason: incomplete, examined: fleet.index.size };
      return result;
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });

  app.get("/things/stream", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    try {
      return streamMatches(fleet.index, (req.query as Q).q ?? "", reply);
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });

  app.get<{ Params: { thing: string } }>("/things/:thing/attributes", async (req, reply) => {
    const p = who(req);
    const { thing } = req.params;
    if (!mayReadFleet(p) && !fleet.mayWriteAttributes(p, thing))
      return sendProblem(reply, 403, `'${p.name}' may not read the attributes of '${thing}'`);
    const stored = fleet.attributes.get(thing);
    if (!stored) return sendProblem(reply, 404, `No attributes for thing '${thing}'`);
    return stored;
  });

  const write =
    (mode: "put" | "patch") =>
    async (req: FastifyRequest<{ Params: { thing: string } }>, reply: FastifyReply) => {
      const { thing } = req.params;
      if (!isValidThingName(thing)) return sendProblem(reply, 400, "Invalid thing name");
      const p = who(req);
      const denial = fleet.attributeDenial(p, thing);
      if (denial) return sendProblem(reply, 403, denial);
      try {
        const q = req.query as Q;
        return fleet.writeAttributes(
          thing,
          parseJsonBody(req.body),
          mode,
          optionalVersion(q.version),
          writeOrigin(p.role, q.origin),
        );
      } catch (err) {
        return sendFleetError(reply, err);
      }
    };
  app.put<{ Params: { thing: string } }>("/things/:thing/attributes", write("put"));
  app.patch<{ Params: { thing: string } }>("/things/:thing/attributes", write("patch"));

  app.get("/fleet/conflicts", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    return { results: fleet.conflicts(), timestamp: now() };
  });

  app.get("/systems", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    const cycles = fleet.systems.cycles;
    return { results: fleet.systems.list(), ...(cycles.length > 0 ? { cycles } : {}) };
  });
  app.get<{ Params: { name: string } }>("/systems/:name", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    try {
      const spec = fleet.systems.get(req.params.name);
      const cycles = fleet.systems.cycles.filter((p) => p.includes(spec.name));
      return {
        ...spec,
        members: [...fleet.systems.thingsOf(spec.name)].sort(),
        ...(cycles.length > 0 ? { cycles } : {}),
      };
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });
  app.get<{ Params: { name: string } }>("/systems/:name/rollup", async (req, reply) => {
    if (guardRead(req, reply)) return reply;
    const raw = (req.query as Q).depth;
    const depth = raw === undefined ? 1 : Number(raw);
    if (!Number.isInteger(depth) || depth < 0 || depth > 32) {
      return sendProblem(reply, 400, "depth must be an integer from 0 to 32");
    }
    try {
      return fleet.systems.rollup(req.params.name, depth);
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });
  const operatorOnly = (req: FastifyRequest, reply: FastifyReply) => {
    const p = who(req);
    if (mayOperate(p)) return false;
    sendProblem(reply, 403, `role ${p.role} may not change systems`);
    return true;
  };
  app.put<{ Params: { name: string } }>("/systems/:name", async (req, reply) => {
    if (operatorOnly(req, reply)) return reply;
    try {
      return fleet.systems.put(
        req.params.name,
        parseJsonBody(req.body),
        optionalVersion((req.query as Q).version),
      );
    } catch (err) {
      if (err instanceof AttributeError) return sendProblem(reply, 400, err.message);
      return sendFleetError(reply, err);
    }
  });
  // Per-system grants: operators bound to a system write desired only for its members.
  type GrantParams = { Params: { name: string; identity: string } };
  const grantAdmin = (req: FastifyRequest, reply: FastifyReply) => {
    if (operatorOnly(req, reply)) return true;
    const p = who(req);
    if (p.role === "operator" && fleet.grants.systemsOf(p.name).length > 0) {
      sendProblem(reply, 403, `operator '${p.name}' is bound to systems and may not change system grants`);
      return true;
    }
    return false;
  };
  app.get<{ Params: { name: string } }>("/systems/:name/operators", async (req, reply) => {
    if (!mayReadFleet(who(req))) return sendProblem(reply, 403, `role ${who(req).role} may not read systems`);
    return { system: req.params.name, operators: fleet.grants.operatorsOf(req.params.name) };
  });
  app.put<GrantParams>("/systems/:name/operators/:identity", async (req, reply) => {
    if (grantAdmin(req, reply)) return reply;
    try {
      fleet.grants.grant(req.params.identity, req.params.name);
      return { system: req.params.name, operators: fleet.grants.operatorsOf(req.params.name) };
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });
  app.delete<GrantParams>("/systems/:name/operators/:identity", async (req, reply) => {
    if (grantAdmin(req, reply)) return reply;
    fleet.grants.revoke(req.params.identity, req.params.name);
    return { system: req.params.name, operators: fleet.grants.operatorsOf(req.params.name) };
  });
  app.delete<{ Params: { name: string } }>("/systems/:name", async (req, reply) => {
    if (operatorOnly(req, reply)) return reply;
    try {
      fleet.systems.delete(req.params.name);
      return { deleted: req.params.name, timestamp: now() };
    } catch (err) {
      return sendFleetError(reply, err);
    }
  });
}
