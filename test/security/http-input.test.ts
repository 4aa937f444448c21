import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/** Issue 17, item 7: `?name=` (empty) served the classic shadow over HTTP while MQTT refuses an empty name. */
describe("security: HTTP shadow names", () => {
  let node: TestNode;
  let token: string;
  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false });
    token = (JSON.parse(readFileSync(node.adminFile as string, "utf8")) as { token: string }).token;
  });
  afterAll(() => node.stop());

  const call = (method: string, query: string, body?: object) =>
    fetch(`${node.httpUrl}/things/pdu-1/shadow${query}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it("refuses an empty ?name= with 400 for get, update and delete; the classic shadow is untouched", async () => {
    expect((await call("POST", "", { state: { desired: { on: true } } })).status).toBe(200);
    for (const [method, body] of [
      ["GET"],
      ["POST", { state: { desired: { on: false } } }],
      ["DELETE"],
    ] as const) {
      const r = await call(method, "?name=", body);
      expect(r.status, method).toBe(400);
      expect(((await r.json()) as { message: string }).message).toMatch(/Invalid shadow name/);
    }
    const classic = (await (await call("GET", "")).json()) as { state: { desired: { on: boolean } } };
    expect(classic.state.desired.on).toBe(true);
  });
});
