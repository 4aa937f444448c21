import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

interface HttpsReply {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request with node:https (fetch has no per-request CA option without undici's Agent). */
function httpsJson(
  url: string,
  opts: { ca?: Buffer; method?: string; token?: string; body?: unknown } = {},
): Promise<HttpsReply> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? "GET",
        ca: opts.ca,
        timeout: 5000,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(body ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            headers: res.headers,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The HTTP API over TLS (`--https-port`), with bearer tokens checked against the same roles. */
describe("HTTPS API", () => {
  let pki: TestPki;
  let node: TestNode;
  let ca: Buffer;
  let https: string;
  let operator: string;
  let viewer: string;
  const thing = "https-thing-1";

  beforeAll(async () => {
    pki = createTestPki();
    ca = pki.read(pki.ca.cert);
    node = await startTestNode({
      allowAnonymous: false,
      httpsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
    });
    https = node.urls.https ?? "";
    operator = node.identities.createToken("t", "operator", "*").token;
    viewer = node.identities.createToken("v", "viewer", "*").token;
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  it("lists an https:// URL next to the plain HTTP one", () => {
    expect(https).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(node.urls.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("GET /healthz over https with the test CA, no token needed", async () => {
    const res = await httpsJson(`${https}/healthz`, { ca });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", site: "test" });
  });

  it("a client that does not trust the node's CA fails the handshake", async () => {
    for (const trust of [undefined, pki.read(pki.otherCa.cert)]) {
      const err = await httpsJson(`${https}/healthz`, { ca: trust }).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(err?.code).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    }
  });

  it("the CLI says an untrusted node certificate is a trust problem, and NODE_EXTRA_CA_CERTS fixes it", async () => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    const args = ["shadow", "list", "--url", https, "--token", operator];
    const untrusted = await runUmbra(args, { env });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /cannot reach https:\/\/127\.0\.0\.1:\d+: \S+ \(the node's certificate is not trusted here: NODE_EXTRA_CA_CERTS=/,
    );
    expect(untrusted.stderr).not.toMatch(/is the node running/);
    const trusted = await runUmbra(args, { env: { ...env, NODE_EXTRA_CA_CERTS: pki.ca.cert } });
    expect(trusted.stderr).toBe("");
    expect(trusted.code).toBe(0);
  });

  it("shadow write and read with an operator bearer token", async () => {
    const put = await httpsJson(`${https}/things/${thing}/shadow`, {
      ca,
      method: "POST",
      token: operator,
      body: { state: { desired: { mode: "eco" } }, clientToken: "h1" },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 1, clientToken: "h1" });
    const get = await httpsJson(`${https}/things/${thing}/shadow`, { ca, token: operator });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({
      state: { desired: { mode: "eco" }, delta: { mode: "eco" } },
      version: 1,
    });
  });

  it("without a valid token: 401 with a Bearer challenge; a viewer may read but not write (403)", async () => {
    const none = await httpsJson(`${https}/things/${thing}/shadow`, { ca });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    const bad = await httpsJson(`${https}/things/${thing}/shadow`, { ca, token: `${operator}x` });
    expect(bad.status).toBe(401);
    const read = await httpsJson(`${https}/things/${thing}/shadow`, { ca, token: viewer });
    expect(read.status).toBe(200);
    const write = await httpsJson(`${https}/things/${thing}/shadow`, {
      ca,
      method: "POST",
      token: viewer,
      body: { state: { desired: { mode: "boost" } } },
    });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ code: 403 });
  });

  it("a revoked token is refused at once", async () => {
    const { id, token } = node.identities.createToken("short-lived", "viewer", "*");
    expect((await httpsJson(`${https}/things/${thing}/shadow`, { ca, token })).status).toBe(200);
    expect(node.identities.revokeToken(id)).toBe(1);
    expect((await httpsJson(`${https}/things/${thing}/shadow`, { ca, token })).status).toBe(401);
  });

  it("plain HTTP keeps serving on its own port with the same tokens", async () => {
    const res = await fetch(`${node.urls.http}/things/${thing}/shadow`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBe(1);
  });
});
