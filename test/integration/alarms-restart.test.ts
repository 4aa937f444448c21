import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";

type Json = Record<string, unknown>;

// The node as a process (`umbra broker`), stopped with SIGTERM and started again on the same data
// directory: an acknowledged alarm is still acknowledged, by the same person, and not raised anew.
describe("alarms across a node restart", () => {
  const dataDir = tempDir();
  const rules = tempDir("umbra-rules-");
  let node: NodeProcess | undefined;
  afterAll(async () => {
    if (node && node.child.exitCode === null) {
      node.child.kill("SIGTERM");
      await node.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(rules, { recursive: true, force: true });
  });

  const start = () =>
    spawnNode(["--data-dir", dataDir], { UMBRA_ALARM_RULES: rules, UMBRA_SITE: "edge-1" }, 60_000);
  const alarmsOf = async (n: NodeProcess) =>
    ((await (await fetch(`${n.httpUrl}/alarms?state=all`)).json()) as { results: Json[] }).results;

  it("an acknowledged alarm stays acknowledged", async () => {
    writeFileSync(
      join(rules, "rack.yaml"),
      "system: rack-c3\nrules:\n  - { name: psu, kind: reported, path: psu.ok, equals: false, severity: major }\n",
    );
    node = await start();
    await fetch(`${node.httpUrl}/systems/rack-c3`, {
      method: "PUT",
      body: JSON.stringify({ things: ["ups-1"] }),
    });
    await fetch(`${node.httpUrl}/things/ups-1/shadow`, {
      method: "POST",
      body: JSON.stringify({ state: { reported: { psu: { ok: false } } } }),
    });
    await eventually(
      async () => expect((await alarmsOf(node as NodeProcess))[0]?.state).toBe("raised"),
      20_000,
    );
    const ack = await fetch(`${node.httpUrl}/alarms/rack-c3/psu/ups-1/ack`, { method: "POST" });
    expect(ack.status).toBe(200);
    const before = (await alarmsOf(node))[0] as Json;
    expect(before).toMatchObject({
      state: "acknowledged",
      ackedBy: "anonymous",
      fireCount: 1,
      site: "edge-1",
    });

    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    node = await start();
    const after = await alarmsOf(node);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      id: "rack-c3/psu/ups-1",
      state: "acknowledged",
      ackedBy: "anonymous",
      ackedAt: before.ackedAt,
      raisedAt: before.raisedAt,
      fireCount: 1,
    });
    // The condition still holds after the restart: the same alarm, not a new raise.
    const review = (await (await fetch(`${node.httpUrl}/systems/rack-c3/review?since=1h`)).json()) as Json;
    expect(review.raised).toEqual({ raises: 1, alarms: 1 });
    expect(review.neverAcknowledged).toEqual([]);
  }, 180_000);
});
