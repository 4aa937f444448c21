import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../shared/acl.ts";
import { renderTable, startSecureNode } from "../helpers/acl-clients.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * The HTTP API with bearer tokens: 401 (with WWW-Authenticate) without a valid token, 403 for what the
 * token's role may not do, `/healthz` open. And the `umbra shadow` CLI's ways to find its token.
 */

const desired = JSON.stringify({ state: { desired: { power: "on" } } });
const reported = JSON.stringify({ state: { reported: { power: "on" } } });

describe("HTTP API bearer tokens", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    node = await startSecureNode();
    const id = node.identities;
    tokens.viewer = id.createToken("v", "viewer", "*").token;
    tokens.operator = id.createToken("o", "operator", "pdu-*").token;
    tokens.bridge = id.createToken("b", "bridge", "pdu-*").token;
    tokens.site = id.createToken("s", "site", "*").token;
    tokens.revoked = id.createToken("gone", "operator", "*").token;
    expect(id.revokeToken("gone")).toBe(1);
    for (const thing of ["pdu-7", "rack-9"])
      expect((await node.service.update({ thing, shadow: "" }, desired, ANONYMOUS)).ok).toBe(true);
  });
  afterAll(async () => {
    await node?.stop();
  });

  const call = (method: string, path: string, token?: string, body?: string) =>
    fetch(`${node.httpUrl}${path}`, {
      method,
      body,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
    });

  it("answers 401 with WWW-Authenticate without a valid token", async () => {
    const forged = `${(tokens.viewer as string).slice(0, 13)}${"A".repeat(43)}`; // a real id, a wrong secret
    const cases: [string, Record<string, string>][] = [
      ["none", {}],
      ["basic", { authorization: "Basic YWRtaW46YWRtaW4=" }],
      ["garbage", { authorization: "Bearer garbage" }],
      ["empty", { authorization: "Bearer " }],
      ["forged", { authorization: `Bearer ${forged}` }],
      ["revoked", { authorization: `Bearer ${tokens.revoked}` }],
    ];
    for (const [label, headers] of cases) {
      const res = await fetch(`${node.httpUrl}/things/pdu-7/shadow`, { headers });
      expect(res.status, label).toBe(401);
      expect(res.headers.get("www-authenticate"), label).toBe('Bearer realm="umbra"');
      expect(((await res.json()) as { code: number }).code, label).toBe(401);
    }
    // Writes are refused the same way, and nothing was written.
    expect((await call("POST", "/things/pdu-7/shadow", undefined, reported)).status).toBe(401);
    expect((await call("DELETE", "/things/pdu-7/shadow", tokens.revoked)).status).toBe(401);
    const doc = await node.service.get({ thing: "pdu-7", shadow: "" }, "", ANONYMOUS);
    expect(doc.ok && doc.body.version).toBe(1);
  });

  it("keeps /healthz open", async () => {
    const res = await fetch(`${node.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("applies each role to each route", async () => {
    // role, method, path, body, expected status
    const matrix: [string, string, string, string | undefined, number][] = [
      ["viewer", "GET", "/things/pdu-7/shadow", undefined, 200],
      ["viewer", "GET", "/things", undefined, 200],
      ["viewer", "GET", "/things/pdu-7/shadows", undefined, 200],
      ["viewer", "POST", "/things/pdu-7/shadow", desired, 403],
      ["viewer", "DELETE", "/things/pdu-7/shadow", undefined, 403],
      ["operator", "GET", "/things/rack-9/shadow", undefined, 200],
      ["operator", "GET", "/things", undefined, 200],
      ["operator", "POST", "/things/pdu-7/shadow", desired, 200],
      ["operator", "POST", "/things/rack-9/shadow", desired, 403],
      ["operator", "POST", "/things/pdu-7/shadow", reported, 403],
      ["operator", "DELETE", "/things/rack-9/shadow", undefined, 403],
      ["bridge", "GET", "/things", undefined, 403],
      ["bridge", "GET", "/things/pdu-7/shadows", undefined, 403],
      ["bridge", "GET", "/things/pdu-7/shadow", undefined, 200],
      ["bridge", "POST", "/things/pdu-7/shadow", reported, 200],
      ["bridge", "GET", "/things/rack-9/shadow", undefined, 403],
      ["bridge", "POST", "/things/rack-9/shadow", reported, 403],
      ["bridge", "GET", "/things/rack-9/shadow/events", undefined, 403],
      ["site", "GET", "/things", undefined, 403],
      ["site", "GET", "/things/pdu-7/shadow", undefined, 403],
    ];
    const rows: string[][] = [];
    for (const [role, method, path, body, expected] of matrix) {
      const res = await call(method, path, tokens[role], body);
      const text = await res.text();
      rows.push([
        role,
        method,
        path,
        body ?? "",
        String(expected),
        `${res.status === expected ? "" : "!! "}${res.status}`,
      ]);
      if (res.status === 403)
        expect(JSON.parse(text), `${role} ${method} ${path}`).toMatchObject({ code: 403 });
    }
    const wrong = rows.filter((r) => r[5]?.startsWith("!!"));
    expect(
      wrong,
      `HTTP role matrix:\n${renderTable(["role", "method", "path", "body", "want", "got"], rows)}`,
    ).toEqual([]);
  });

  it("streams events to a token allowed to read the shadow", async () => {
    const ac = new AbortController();
    const res = await fetch(`${node.httpUrl}/things/pdu-7/shadow/events`, {
      headers: { authorization: `Bearer ${tokens.bridge}` },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    ac.abort();
    await res.body?.cancel().catch(() => undefined);
  });
});

describe("umbra shadow with tokens", () => {
  let node: TestNode;
  let viewerToken: string;
  let emptyDir: string;
  beforeAll(async () => {
    node = await startSecureNode();
    viewerToken = node.identities.createToken("cli-v", "viewer", "*").token;
    emptyDir = tempDir("umbra-notoken-");
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(emptyDir, { recursive: true, force: true });
  });
  // UMBRA_DATA_DIR is always set, so a ./data/admin.json of a developer's own node is never picked up.
  const shadow = (args: string[], env: NodeJS.ProcessEnv) =>
    runUmbra(["shadow", ...args, "--url", node.httpUrl], {
      env: { UMBRA_TOKEN: "", UMBRA_DATA_DIR: emptyDir, ...env },
    });

  it("is refused (401) without any token", async () => {
    const r = await shadow(["get", "cli-1"], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"code": 401/);
  });

  it("uses --token, then UMBRA_TOKEN, then DATA_DIR/admin.json", async () => {
    // The node's own first-start admin.json (operator): used when neither flag nor env is given.
    const viaAdmin = await shadow(["update", "cli-1", '{"state":{"desired":{"fan":1}}}'], {
      UMBRA_DATA_DIR: node.dataDir,
    });
    expect(viaAdmin.code, viaAdmin.stderr).toBe(0);
    expect(JSON.parse(viaAdmin.stdout)).toMatchObject({ version: 1 });

    const viaEnv = await shadow(["get", "cli-1"], { UMBRA_TOKEN: viewerToken });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ state: { desired: { fan: 1 } } });

    // A viewer token is a viewer, whichever way it comes: the flag wins over env and admin.json.
    const viaFlag = await shadow(
      ["update", "cli-1", '{"state":{"desired":{"fan":2}}}', "--token", viewerToken],
      {
        UMBRA_TOKEN: "umb_nothing",
        UMBRA_DATA_DIR: node.dataDir,
      },
    );
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.stderr).toMatch(/"code": 403/);
    const badEnv = await shadow(["get", "cli-1"], {
      UMBRA_TOKEN: "umb_nothing",
      UMBRA_DATA_DIR: node.dataDir,
    });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(/"code": 401/);
  });
});
