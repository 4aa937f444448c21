import type { FastifyReply } from "fastify";
import { mayReadFleet, type Principal } from "../../shared/acl.ts";

/** The HTTP API's error document, `{code, message, timestamp}`: the shape the shadow service answers with. */
export function problemBody(
  code: number,
  message: string,
): { code: number; message: string; timestamp: number } {
  return { code, message, timestamp: Math.floor(Date.now() / 1000) };
}

/** Answers `code` with the API's error document. */
export function sendProblem(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).send(problemBody(code, message));
}

/** The read check of the operations APIs: true when `p` may read the fleet, else answers 403. */
export function fleetReader(p: Principal, reply: FastifyReply): boolean {
  if (mayReadFleet(p)) return true;
  sendProblem(reply, 403, `role ${p.role} may not read the fleet`);
  return false;
}
