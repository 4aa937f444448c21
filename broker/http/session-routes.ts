import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import type { AuthResult, Credentials } from "../auth/authenticator.ts";
import { sendProblem } from "./problem.ts";
import {
  type ConsoleSessions,
  CSRF_HEADER,
  cookieValue,
  DEFAULT_SESSION_OPTIONS,
  isUnsafeMethod,
  SESSION_COOKIE,
  type SessionCheck,
  sessionCookie,
} from "./sessions.ts";

/** What sign-in needs from the node. */
export interface SessionDeps {
  sessions: ConsoleSessions;
  /** The node's authenticator (the same failed-login throttle as MQTT). */
  authenticator: { authenticate(c: Credentials): Promise<AuthResult> };
  /**
   * The current principal of an identity name, or undefined once revoked or once the password the
   * session signed in with (`credential`, from the authenticator) is no longer accepted (rotated).
   */
  lookup(name: string, credential?: string): Principal | undefined;
  /** Checks a bearer token (undefined: the node allows anonymous access). */
  verifyToken?: (token: string) => Principal | undefined;
}

/** Roles that may sign in to the console. */
const CONSOLE_ROLES = new Set(["operator", "viewer"]);

/** The session a request's cookie names, checked (CSRF for unsafe methods); undefined without a cookie. */
export function sessionOf(sessions: ConsoleSessions, req: FastifyRequest): SessionCheck | undefined {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (!id) return undefined;
  const csrf = req.headers[CSRF_HEADER];
  return sessions.check(id, isUnsafeMethod(req.method), typeof csrf === "string" ? csrf : undefined);
}

/**
 * `POST /session` signs in with `{token}` or `{username, password}` (operators and viewers) and sets
 * the session cookie; `GET /session` says who is signed in (and hands the page its CSRF token again
 * after a reload); `DELETE /session` signs out. Documented in docs/console.md.
 */
export function sessionRoutes(
  app: FastifyInstance,
  deps: SessionDeps,
  principalOf: (req: FastifyRequest) => Principal,
  secure: boolean,
): void {
  const maxAge = DEFAULT_SESSION_OPTIONS.maxAgeMs;

  app.post("/session", async (req, reply) => {
    // A custom header cannot be sent cross-site without a CORS preflight, which this node never grants.
    if (req.headers["x-umbra-console"] !== "1") return sendProblem(reply, 403, "Sign in from the console");
    let body: { token?: unknown; username?: unknown; password?: unknown };
    try {
      body = JSON.parse(String(req.body ?? ""));
    } catch {
      return sendProblem(reply, 400, "Send JSON: {token} or {username, password}");
    }
    let principal: Principal | undefined;
    let refresh: () => Principal | undefined;
    if (!deps.verifyToken) {
      return sendProblem(reply, 400, "This node allows anonymous access: no sign-in needed");
    } else if (typeof body.token === "string") {
      const token = body.token.trim();
      const verify = deps.verifyToken;
      principal = verify(token);
      refresh = () => verify(token);
    } else if (typeof body.username === "string" && typeof body.password === "string") {
      const result = await deps.authenticator.authenticate({
        username: body.username,
        password: body.password,
        address: req.ip,
      });
      if (!result.ok && result.code === 5) return sendProblem(reply, 429, result.reason);
      principal = result.ok ? result.principal : undefined;
      const name = body.username;
      const credential = result.ok ? result.credential : undefined;
      refresh = () => deps.lookup(name, credential);
    } else {
      return sendProblem(reply, 400, "Send JSON: {token} or {username, password}");
    }
    if (!principal) return sendProblem(reply, 401, "Wrong user name, password or token");
    if (!CONSOLE_ROLES.has(principal.role)) {
      return sendProblem(reply, 403, `role ${principal.role} may not use the console`);
    }
    const check = refresh;
    const { id, csrf } = deps.sessions.create(() => {
      const p = check();
      return p && CONSOLE_ROLES.has(p.role) ? p : undefined;
    });
    reply.header("set-cookie", sessionCookie(id, secure, maxAge));
    return { name: principal.name, role: principal.role, csrf };
  });

  app.get("/session", async (req) => {
    const p = principalOf(req);
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const csrf = id ? deps.sessions.csrfOf(id) : undefined;
    return { name: p.name, role: p.role, ...(csrf ? { csrf } : {}), anonymous: !deps.verifyToken };
  });

  app.delete("/session", async (req, reply) => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id) deps.sessions.end(id);
    reply.header("set-cookie", sessionCookie("", secure, 0));
    return { signedOut: true };
  });
}
