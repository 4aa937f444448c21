import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { SseReader } from "../helpers/sse-reader.ts";

/** The console's HTTP additions on a secure node: public assets, sign-in, CSRF, identities, fleet reads. */
describe("console HTTP routes", () => {
  let node: TestNode;
  let opPassword: string;
  let viewerToken: string;
  const url = (path: string) => `${node.httpUrl}${path}`;
  const signIn = async (body: object) => {
    const res = await fetch(url("/session"), {
      method: "POST",
      headers: { "x-umbra-console": "1", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const cookie = res.headers.get("set-cookie")?.split(";")[0];
    return { res, cookie, body: (await res.json()) as { csrf?: string; role?: string; message?: string } };
  };

  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false });
    opPassword = node.identities.add("op", "operator", "*");
    viewerToken = node.identities.createToken("view", "viewer", "*").token;
  });
  afterAll(() => node?.stop());

  it("serves the page and its assets without credentials, and nothing else", async () => {
    const page = await fetch(url("/"));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain('src="/console/app.js"');
    expect((await fetch(url("/console/app.js"))).status).toBe(200);
    expect((await fetch(url("/console/missing.js"))).status).toBe(404);
    expect((await fetch(url("/console/api/things"))).status).toBe(401);
    expect((await fetch(url("/identities"))).status).toBe(401);
    expect((await fetch(url("/session"))).status).toBe(401);
  });

  it("signs in operators and viewers only, from the console only", async () => {
    const foreign = await fetch(url("/session"), {
      method: "POST",
      body: JSON.stringify({ username: "op", password: opPassword }),
    });
    expect(foreign.status).toBe(403);
    expect((await signIn({ username: "op", password: "wrong" })).res.status).toBe(401);
    expect((await signIn({ token: "umb_nope" })).res.status).toBe(401);
    const devicePassword = node.identities.add("dev-a", "device", "dev-a");
    expect((await signIn({ username: "dev-a", password: devicePassword })).res.status).toBe(403);
    const viewer = await signIn({ token: viewerToken });
    expect(viewer.res.status).toBe(200);
    expect(viewer.body.role).toBe("viewer");
    expect(viewer.res.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
  });

  it("requires the CSRF token on cookie-authenticated writes, and follows revocation", async () => {
    const op = await signIn({ username: "op", password: opPassword });
    const headers = { cookie: op.cookie ?? "", "content-type": "application/json" };
    const add = (h: Record<string, string>) =>
      fetch(url("/identities"), { method: "POST", headers: h, body: JSON.stringify({ name: "dev-b" }) });
    expect((await add(headers)).status).toBe(403);
    const added = await add({ ...headers, "x-umbra-csrf": op.body.csrf ?? "" });
    expect(added.status).toBe(201);
    const { password } = (await added.json()) as { password: string };
    expect(node.identities.lookup("dev-b")?.principal.role).toBe("device");
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await add({ ...headers, "x-umbra-csrf": op.body.csrf ?? "" })).status).toBe(409);

    const list = (await (await fetch(url("/identities"), { headers })).json()) as { identities: object[] };
    expect(JSON.stringify(list)).not.toContain(password);
    const revoke = () =>
      fetch(url("/identities/dev-b"), {
        method: "DELETE",
        headers: { ...headers, "x-umbra-csrf": op.body.csrf ?? "" },
      });
    expect((await revoke()).status).toBe(200);
    expect((await revoke()).status).toBe(404);
    expect(node.identities.lookup("dev-b")).toBeUndefined();

    node.identities.revoke("op");
    expect((await fetch(url("/things"), { headers })).status).toBe(401);
  });

  it("ends a signed-in page's event stream within seconds of its identity's revocation", async () => {
    const password = node.identities.add("op-stream", "operator", "*");
    const op = await signIn({ username: "op-stream", password });
    const res = await fetch(url("/console/api/events"), { headers: { cookie: op.cookie ?? "" } });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: hello");
    node.identities.revoke("op-stream");
    const revokedAt = Date.now();
    // The server re-checks every request open for more than 5 s, every 5 s (broker/http/server.ts).
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true }));
      if (r.done) break;
      if (Date.now() - revokedAt > 15_000) throw new Error("stream still open 15 s after revocation");
    }
    expect(Date.now() - revokedAt).toBeLessThan(12_000);
  }, 30_000);

  it("lists when each password was set and until when a rotated one's predecessor works, never a secret", async () => {
    node.identities.add("dev-r", "device", "dev-r");
    node.identities.add("dev-s", "device", "dev-s");
    const rotation = node.identities.rotatePassword("dev-r", "device", { graceMs: 3_600_000 });
    const res = await fetch(url("/identities"), { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(rotation.password);
    const { identities } = JSON.parse(text) as { identities: Record<string, unknown>[] };
    const of = (name: string) => identities.find((i) => i.name === name);
    expect(of("dev-r")).toMatchObject({
      passwordSetAt: rotation.setAt,
      previousPasswordUntil: rotation.previousUntil,
    });
    expect(rotation.previousUntil).toBe(rotation.setAt + 3_600_000);
    expect(of("dev-s")).toMatchObject({ passwordSetAt: of("dev-s")?.createdAt, previousPasswordUntil: null });
  });

  it("refuses identity changes to viewers", async () => {
    const viewer = await signIn({ token: viewerToken });
    const res = await fetch(url("/identities"), {
      method: "POST",
      headers: { cookie: viewer.cookie ?? "", "x-umbra-csrf": viewer.body.csrf ?? "" },
      body: JSON.stringify({ name: "dev-c" }),
    });
    expect(res.status).toBe(403);
  });

  it("lists things with their delta and presence, filtered by name", async () => {
    for (const thing of ["alpha-1", "alpha-2", "beta-1"]) {
      await node.service.update(
        { thing, shadow: "" },
        JSON.stringify({ state: { desired: { on: true }, reported: { on: thing !== "alpha-2" } } }),
      );
    }
    const headers = { authorization: `Bearer ${viewerToken}` };
    const page = (await (
      await fetch(url("/console/api/things?filter=ALPHA&limit=1"), { headers })
    ).json()) as {
      things: { thing: string; deltaLeaves: number }[];
      nextCursor?: string;
    };
    expect(page.things.map((t) => [t.thing, t.deltaLeaves])).toEqual([["alpha-1", 0]]);
    const next = (await (
      await fetch(url(`/console/api/things?filter=alpha&limit=1&cursor=${page.nextCursor}`), { headers })
    ).json()) as { things: { thing: string; deltaLeaves: number }[]; nextCursor?: string };
    expect(next.things.map((t) => [t.thing, t.deltaLeaves])).toEqual([["alpha-2", 1]]);
    expect(next.nextCursor).toBeUndefined();
    expect((await fetch(url("/console/api/things?limit=0"), { headers })).status).toBe(400);
  });
});

describe("console events", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(() => node?.stop());

  it("streams a summary of every shadow change", async () => {
    const events = await SseReader.open(`${node.httpUrl}/console/api/events`);
    try {
      expect((await events.next()).event).toBe("hello");
      await node.service.update(
        { thing: "gamma", shadow: "" },
        JSON.stringify({ state: { desired: { a: 1, b: 2 } } }),
      );
      const e = await events.next();
      expect(e).toEqual({
        event: "shadow",
        data: { thing: "gamma", shadow: "", version: 1, deltaLeaves: 2, conflictLeaves: 0 },
      });
      const session = (await (await fetch(`${node.httpUrl}/session`)).json()) as { anonymous: boolean };
      expect(session.anonymous).toBe(true);
    } finally {
      events.close();
    }
  });
});

describe("console over HTTPS", () => {
  let pki: TestPki;
  let node: TestNode;

  beforeAll(async () => {
    pki = createTestPki();
    node = await startTestNode({
      allowAnonymous: false,
      httpsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
    });
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  const httpsRequest = (path: string, method: string, body?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>(
      (resolve, reject) => {
        const req = request(
          `${node.urls.https}${path}`,
          {
            method,
            ca: pki.read(pki.ca.cert),
            timeout: 5000,
            headers: body ? { "content-type": "application/json", "x-umbra-console": "1" } : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString(),
              }),
            );
          },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
        req.on("error", reject);
        req.end(body);
      },
    );

  it("serves the page and marks the session cookie Secure", async () => {
    const page = await httpsRequest("/", "GET");
    expect(page.status).toBe(200);
    expect(page.text).toContain("/console/app.js");
    const password = node.identities.add("op-tls", "operator", "*");
    const signIn = await httpsRequest("/session", "POST", JSON.stringify({ username: "op-tls", password }));
    expect(signIn.status).toBe(200);
    expect(String(signIn.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure/);
  });
});
