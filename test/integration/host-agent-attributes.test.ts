import { rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, eventually, spawnAgent } from "../helpers/host-agent.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

type Json = Record<string, unknown>;

/**
 * `umbra agent` states its host's inventory attributes to a real node (docs/agent.md): type host,
 * labels from the facts, and the config's `attributes:`; an operator's key set by hand stays.
 */
describe("the host agent fills its thing's attributes", () => {
  const dir = tempDir("umbra-host-agent-attrs-");
  let node: TestNode;
  let token: string;
  let agent: AgentProcess | undefined;

  const call = async (method: string, path: string, body?: Json) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false });
    token = node.identities.createToken("ops", "operator", "*").token;
  });
  afterAll(async () => {
    await agent?.stop();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("states type, host labels and the configured location; keeps the operator's owner", async () => {
    // The operator set the owner (and a wrong type) by hand before the agent ever ran.
    expect((await call("PUT", "/things/host-7/attributes", { owner: "ops-team", type: "vm" })).status).toBe(
      200,
    );
    const password = node.identities.add("host-7", "device", "host-7");
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      "attributes:\n  owner: agent-says\n  location: { site: lab, rack: r7, unit: 12 }\n  labels: { tier: gold }\n",
    );
    const startAgent = async () => {
      agent = spawnAgent(
        [
          "--url",
          node.mqttUrl,
          "--thing",
          "host-7",
          "--username",
          "host-7",
          "--config",
          config,
          "--interval",
          "300ms",
        ],
        { UMBRA_AGENT_PASSWORD: password },
      );
      await agent.waitForStdout(/umbra agent: ready host-7 /, 30_000);
    };
    await startAgent();
    await eventually(async () => {
      const got = await call("GET", "/things/host-7/attributes");
      expect(got.body).toMatchObject({
        attributes: {
          type: "vm",
          owner: "ops-team",
          location: { site: "lab", rack: "r7", unit: 12 },
          labels: { tier: "gold", hostname: os.hostname(), kernel: os.release(), arch: os.arch() },
        },
        origins: {
          type: "operator",
          owner: "operator",
          location: { rack: "device" },
          labels: { arch: "device" },
        },
      });
      return true;
    }, 20_000);
    const attrs = (await call("GET", "/things/host-7/attributes")).body.attributes as Json;
    expect(typeof (attrs.labels as Json).os).toBe("string");

    // The operator deletes the wrong type: the agent's own is stated at its next connect.
    await call("PATCH", "/things/host-7/attributes", { type: null });
    await agent?.stop();
    await startAgent();
    await eventually(async () => {
      const found = await call("GET", "/things?q=attributes.type:host&fields=attributes.location.rack");
      expect(found.body.results).toEqual([{ thingName: "host-7", "attributes.location.rack": "r7" }]);
      return true;
    }, 20_000);
    const version = (await call("GET", "/things/host-7/attributes")).body.version;
    // A reconnect that states the same set changes nothing (same version).
    await agent?.stop();
    await startAgent();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call("GET", "/things/host-7/attributes")).body.version).toBe(version);
  }, 120_000);
});
