import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, loginAs, startSecureNode } from "../helpers/acl-clients.ts";
import { Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

type Json = Record<string, unknown>;

// Per-system grants on a node that requires credentials: an operator bound to system storage-b writes
// desired only for its members (static and dynamic), still within its thing grant.
describe("per-system access grants", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    node = await startSecureNode();
    tokens.admin = node.identities.createToken("admin", "operator", "*").token;
    tokens.storage = node.identities.createToken("ops-b", "operator", "*").token;
    tokens.narrow = node.identities.createToken("ops-n", "operator", "disk-1").token;
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  const call = async (token: string | undefined, method: string, path: string, body?: Json) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const setDesired = (token: string | undefined, thing: string) =>
    call(token, "POST", `/things/${thing}/shadow`, { state: { desired: { power: "on" } } });

  it("binds operators to systems and refuses desired writes outside their members", async () => {
    expect((await call(tokens.admin, "PUT", "/things/disk-9/attributes", { type: "disk" })).status).toBe(200);
    const put = await call(tokens.admin, "PUT", "/systems/storage-b", {
      things: ["disk-1"],
      query: "attributes.type:disk",
    });
    expect(put.status).toBe(200);
    // Before any binding, the thing grant alone decides.
    expect((await setDesired(tokens.storage, "pdu-1")).status).toBe(200);

    expect((await call(tokens.admin, "PUT", "/systems/storage-b/operators/ops-b")).body).toEqual({
      system: "storage-b",
      operators: ["ops-b"],
    });
    expect((await call(tokens.admin, "PUT", "/systems/nope/operators/ops-b")).status).toBe(404);
    expect((await setDesired(tokens.storage, "disk-1")).status).toBe(200); // static member
    expect((await setDesired(tokens.storage, "disk-9")).status).toBe(200); // dynamic member
    const denied = await setDesired(tokens.storage, "pdu-1");
    expect(denied.status).toBe(403);
    expect(String(denied.body.message)).toContain("only for members of system storage-b");
    // A bound operator may not widen its own binding.
    expect((await call(tokens.storage, "DELETE", "/systems/storage-b/operators/ops-b")).status).toBe(403);

    // Both must allow: the system does not widen a thing grant.
    await call(tokens.admin, "PUT", "/systems/storage-b/operators/ops-n");
    expect((await setDesired(tokens.narrow, "disk-1")).status).toBe(200);
    expect((await setDesired(tokens.narrow, "disk-9")).status).toBe(403);

    // Revoked: the grant alone again.
    await call(tokens.admin, "DELETE", "/systems/storage-b/operators/ops-b");
    expect((await setDesired(tokens.storage, "pdu-1")).status).toBe(200);
  }, 60_000);

  it("limits a bound operator's attribute writes to its members too: HTTP, CLI and MQTT", async () => {
    await call(tokens.admin, "PUT", "/systems/rack-c", { things: ["pdu-c1"] });
    await call(tokens.admin, "PUT", "/systems/rack-c/operators/ops-c");
    const opsC = node.identities.createToken("ops-c", "operator", "*").token;
    // HTTP
    expect((await call(opsC, "PATCH", "/things/pdu-c1/attributes", { owner: "c" })).status).toBe(200);
    const denied = await call(opsC, "PATCH", "/things/pdu-x/attributes", { owner: "c" });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      "operator 'ops-c' may write attributes only for members of system rack-c",
    );
    expect((await call(opsC, "PUT", "/things/pdu-x/attributes", { type: "pdu" })).status).toBe(403);
    // CLI
    const cli = (thing: string) =>
      runUmbra(["things", "attr", "set", thing, "labels.team=c", "--url", node.httpUrl, "--token", opsC], {
        timeoutMs: 60_000,
      });
    expect((await cli("pdu-c1")).code).toBe(0);
    const refused = await cli("pdu-x");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("may write attributes only for members of system rack-c");
    // MQTT
    const passwords = addIdentities(node, [{ name: "ops-c", role: "operator" }]);
    const client = await loginAs(node.mqttUrl, "ops-c", passwords.get("ops-c") as string);
    try {
      const inbox = new Inbox(client);
      await client.subscribeAsync("$umbra/things/+/attributes/update/+", { qos: 1 });
      const update = (thing: string) =>
        client.publishAsync(
          `$umbra/things/${thing}/attributes/update`,
          JSON.stringify({ attributes: { model: "m" }, clientToken: thing }),
          { qos: 1 },
        );
      await update("pdu-x");
      expect(await inbox.nextJson("$umbra/things/pdu-x/attributes/update/rejected", 10_000)).toMatchObject({
        code: 403,
        message: "operator 'ops-c' may write attributes only for members of system rack-c",
      });
      await update("pdu-c1");
      expect(await inbox.nextJson("$umbra/things/pdu-c1/attributes/update/accepted", 10_000)).toMatchObject({
        attributes: { owner: "c", model: "m", labels: { team: "c" } },
      });
    } finally {
      await client.endAsync();
    }
    expect((await call(tokens.admin, "GET", "/things/pdu-x/attributes")).status).toBe(404);
    // The admin (bound to no system) is not limited.
    expect((await call(tokens.admin, "PATCH", "/things/pdu-x/attributes", { owner: "a" })).status).toBe(200);
  }, 90_000);
});
