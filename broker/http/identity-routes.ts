import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mayOperate, mayReadFleet, type Principal } from "../../shared/acl.ts";
import { matchesThing } from "../../shared/glob.ts";
import { isValidThingName } from "../../shared/topics.ts";
import { IdentityError, type IdentityStore } from "../auth/identity-store.ts";
import { sendProblem } from "./problem.ts";

/**
 * Identities over HTTP, for the console (documented in docs/console.md):
 * - `GET /identities`: every identity (name, role, things, created, revoked), never a secret.
 * - `POST /identities {name}`: adds a device identity; the answer holds its password, shown once.
 * - `DELETE /identities/{name}`: revokes a device identity; its live MQTT sessions are closed within
 *   a second (the node's identity poll).
 * Users (operators, viewers, bridges, sites) are added with `umbra user add` only: an HTTP route that
 * mints operators would turn one stolen session into a permanent one.
 */
export function identityRoutes(
  app: FastifyInstance,
  identities: IdentityStore,
  principalOf: (req: FastifyRequest) => Principal,
): void {
  const allowed = (
    req: FastifyRequest,
    reply: FastifyReply,
    may: (p: Principal) => boolean,
    what: string,
  ) => {
    const p = principalOf(req);
    if (may(p)) return p;
    sendProblem(reply, 403, `role ${p.role} may not ${what}`);
    return undefined;
  };

  app.get("/identities", async (req, reply) => {
    if (!allowed(req, reply, mayReadFleet, "list identities")) return reply;
    return { identities: identities.list() };
  });

  app.post("/identities", async (req, reply) => {
    const p = allowed(req, reply, mayOperate, "add identities");
    if (!p) return reply;
    let body: { name?: unknown; role?: unknown };
    try {
      body = JSON.parse(String(req.body ?? ""));
    } catch {
      return sendProblem(reply, 400, 'Send JSON: {"name": "<thing>"}');
    }
    const name = body.name;
    if (typeof name !== "string" || !isValidThingName(name)) {
      return sendProblem(reply, 400, "name must be a thing name ([a-zA-Z0-9:_-], 1-128 characters)");
    }
    if (body.role !== undefined && body.role !== "device") {
      return sendProblem(reply, 400, "only device identities are added over HTTP (use `umbra user add`)");
    }
    if (!matchesThing(p.things, name))
      return sendProblem(reply, 403, `${p.name} is not granted thing ${name}`);
    try {
      const password = identities.add(name, "device", name);
      return reply.code(201).send({ name, role: "device", things: name, password });
    } catch (err) {
      if (err instanceof IdentityError) return sendProblem(reply, 409, err.message);
      throw err;
    }
  });

  app.delete<{ Params: { name: string } }>("/identities/:name", async (req, reply) => {
    const p = allowed(req, reply, mayOperate, "revoke identities");
    if (!p) return reply;
    const { name } = req.params;
    if (!matchesThing(p.things, name))
      return sendProblem(reply, 403, `${p.name} is not granted thing ${name}`);
    if (!identities.revoke(name, "device")) {
      return sendProblem(reply, 404, `no active device identity named '${name.slice(0, 140)}'`);
    }
    return { name, revoked: true };
  });
}
