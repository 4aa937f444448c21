import type { FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { sessionOf } from "./session-routes.ts";
import type { ConsoleSessions } from "./sessions.ts";

export type RequestAuth =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      code: number;
      message: string /** answer with WWW-Authenticate: Bearer */;
      challenge: boolean;
    };

/**
 * Who a request is: its bearer token, or else the console's session cookie (checked for CSRF on
 * unsafe methods). Used by the API's auth hook, and again by long-lived streams to notice revocation.
 */
export function authenticateRequest(
  req: FastifyRequest,
  authenticate: (token: string) => Principal | undefined,
  sessions: ConsoleSessions | undefined,
): RequestAuth {
  const header = req.headers.authorization;
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  if (token) {
    const principal = authenticate(token);
    return principal
      ? { ok: true, principal }
      : { ok: false, code: 401, message: "Invalid or revoked bearer token", challenge: true };
  }
  const session = sessions ? sessionOf(sessions, req) : undefined;
  if (session?.ok) return { ok: true, principal: session.principal };
  if (session) return { ok: false, code: session.code, message: session.message, challenge: false };
  return {
    ok: false,
    code: 401,
    message: "Missing bearer token (Authorization: Bearer <token>)",
    challenge: true,
  };
}
