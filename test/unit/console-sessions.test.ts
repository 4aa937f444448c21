import { describe, expect, it } from "vitest";
import { ConsoleSessions, cookieValue, sessionCookie } from "../../broker/http/sessions.ts";
import { principal } from "../../shared/acl.ts";

const alice = principal("alice", "operator");

describe("console sessions", () => {
  it("checks the CSRF token on unsafe requests only", () => {
    const sessions = new ConsoleSessions();
    const { id, csrf } = sessions.create(() => alice);
    expect(sessions.check(id, false, undefined)).toEqual({ ok: true, principal: alice });
    expect(sessions.check(id, true, undefined)).toMatchObject({ ok: false, code: 403 });
    expect(sessions.check(id, true, `${csrf}x`)).toMatchObject({ ok: false, code: 403 });
    expect(sessions.check(id, true, csrf)).toEqual({ ok: true, principal: alice });
    expect(sessions.check("nope", false, undefined)).toMatchObject({ ok: false, code: 401 });
  });

  it("ends a session when its identity is revoked, when idle, and at its maximum age", () => {
    let t = 0;
    const sessions = new ConsoleSessions({ idleMs: 100, maxAgeMs: 250, maxSessions: 10 }, () => t);
    let active = true;
    const revocable = sessions.create(() => (active ? alice : undefined));
    active = false;
    expect(sessions.check(revocable.id, false, undefined)).toMatchObject({ ok: false, code: 401 });
    expect(sessions.size).toBe(0);

    const s = sessions.create(() => alice);
    for (t = 90; t <= 240; t += 90) expect(sessions.check(s.id, false, undefined).ok).toBe(true);
    t = 260;
    expect(sessions.check(s.id, false, undefined).ok).toBe(false);
    const idle = sessions.create(() => alice);
    t += 101;
    expect(sessions.check(idle.id, false, undefined).ok).toBe(false);
  });

  it("drops the least recently used session beyond the bound", () => {
    const sessions = new ConsoleSessions({ idleMs: 1e9, maxAgeMs: 1e9, maxSessions: 2 });
    const a = sessions.create(() => alice);
    const b = sessions.create(() => alice);
    expect(sessions.check(a.id, false, undefined).ok).toBe(true); // a is now the most recent
    sessions.create(() => alice);
    expect(sessions.size).toBe(2);
    expect(sessions.check(b.id, false, undefined).ok).toBe(false);
    expect(sessions.check(a.id, false, undefined).ok).toBe(true);
  });

  it("reads and writes the session cookie", () => {
    expect(cookieValue("a=1; umbra_session=xyz; b=2", "umbra_session")).toBe("xyz");
    expect(cookieValue("umbra_sessionx=1", "umbra_session")).toBeUndefined();
    expect(sessionCookie("xyz", true, 3600_000)).toBe(
      "umbra_session=xyz; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure",
    );
    expect(sessionCookie("", false, 0)).toContain("Max-Age=0");
  });
});
