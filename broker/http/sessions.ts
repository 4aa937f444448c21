import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "../../shared/acl.ts";

/** The cookie that carries a console session id (HttpOnly, SameSite=Strict, Secure on HTTPS). */
export const SESSION_COOKIE = "umbra_session";
/** The header a cookie-authenticated unsafe request must carry, holding the session's CSRF token. */
export const CSRF_HEADER = "x-umbra-csrf";

export interface SessionOptions {
  /** A session unused this long ends (sliding). */
  idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  maxAgeMs: number;
  /** At most this many live sessions; the least recently used one is dropped beyond. */
  maxSessions: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  idleMs: 8 * 3600_000,
  maxAgeMs: 24 * 3600_000,
  maxSessions: 10_000,
};

interface Session {
  csrf: string;
  createdAt: number;
  usedAt: number;
  /**
   * Who the session stands for now: re-checked on every request, so revoking the identity (or the
   * token it signed in with) ends the session within that request.
   */
  principal: () => Principal | undefined;
}

export type SessionCheck =
  | { ok: true; principal: Principal }
  | { ok: false; code: 401 | 403; message: string };

/**
 * Console sessions, in memory (a restart signs everyone out: sessions are cheap to make again, and a
 * session store on disk would be one more secret at rest). The id travels only in an HttpOnly cookie;
 * the CSRF token is handed to the page in the sign-in answer and must come back in a header on every
 * unsafe request, which a cross-site form or image can never send.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Starts a session; returns its id (for the cookie) and its CSRF token (for the page). */
  create(principal: () => Principal | undefined): { id: string; csrf: string } {
    const id = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    const t = this.now();
    this.sessions.set(id, { csrf, createdAt: t, usedAt: t, principal });
    while (this.sessions.size > this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return { id, csrf };
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** The CSRF token of a live session (for `GET /session` after a page reload). */
  csrfOf(id: string): string | undefined {
    return this.live(id)?.csrf;
  }

  /** Checks a request that carries the session cookie; `unsafe` requests must also carry the CSRF token. */
  check(id: string, unsafe: boolean, csrfHeader: string | undefined): SessionCheck {
    const session = this.live(id);
    if (!session) return { ok: false, code: 401, message: "Session expired or unknown; sign in again" };
    const principal = session.principal();
    if (!principal) {
      this.sessions.delete(id);
      return { ok: false, code: 401, message: "The identity of this session was revoked; sign in again" };
    }
    if (unsafe && !sameToken(csrfHeader, session.csrf)) {
      return { ok: false, code: 403, message: `Missing or wrong ${CSRF_HEADER} header for this session` };
    }
    session.usedAt = this.now();
    // Map order is the eviction order: move the session to the end (most recently used).
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return { ok: true, principal };
  }

  private live(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const t = this.now();
    if (t - session.usedAt > this.options.idleMs || t - session.createdAt > this.options.maxAgeMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` value for a session id; an empty id clears the cookie. */
export function sessionCookie(id: string, secure: boolean, maxAgeMs: number): string {
  const attrs = [`${SESSION_COOKIE}=${id}`, "Path=/", "HttpOnly", "SameSite=Strict"];
  attrs.push(`Max-Age=${id ? Math.floor(maxAgeMs / 1000) : 0}`);
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}

/** Methods that change state (CSRF applies to them). */
export function isUnsafeMethod(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}
