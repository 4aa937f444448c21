import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, startSecureNode } from "../helpers/acl-clients.ts";
import { type Behaviour, startDevice } from "../helpers/job-devices.ts";
import type { TestNode } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

// `umbra job …` and `umbra claim …` against a node that requires credentials (docs/jobs.md).
describe("umbra job / umbra claim (CLI)", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    node = await startSecureNode();
    tokens.alice = node.identities.createToken("alice", "operator", "*").token;
    tokens.bob = node.identities.createToken("bob", "operator", "*").token;
    const devices: [string, Behaviour][] = [
      ["rack1-host-1", "command"],
      ["rack1-host-2", "command"],
      ["rack1-host-3", "command"],
      ["pdu-1", "obey"],
      ["pdu-2", "obey"],
    ];
    const passwords = addIdentities(
      node,
      devices.map(([name]) => ({ name, role: "device" as const })),
    );
    for (const [name, b] of devices) {
      clients.push(
        await startDevice(node.mqttUrl, name, b, { username: name, password: passwords.get(name) }),
      );
    }
    const put = (path: string, body: unknown) =>
      fetch(`${node.httpUrl}${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${tokens.alice}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      (await put("/systems/rack-1", { things: ["rack1-host-1", "rack1-host-2", "rack1-host-3"] })).status,
    ).toBe(200);
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await node?.stop();
  });

  const umbra = (who: string, args: string[]) =>
    runUmbra([...args, "--url", node.httpUrl, "--token", tokens[who] as string], { timeoutMs: 90_000 });

  it("dry-runs, refuses a destructive command without --confirm, then power-cycles a rack in batches", async () => {
    const args = ["--system", "rack-1", "--command", '{"power":"cycle"}', "--batch-size", "2"];
    const dry = await umbra("alice", ["job", "dry-run", ...args]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /rack1-host-1\s+REFUSED destructive: destructive without confirm: power="cycle"/,
    );
    expect(dry.stdout).toMatch(
      /^3 things: 0 would change, 0 would wait, 0 unchanged, refused: destructive 3$/m,
    );
    expect(dry.stdout).toMatch(/run with --confirm/);
    const confirmedDry = await umbra("alice", ["job", "dry-run", ...args, "--confirm"]);
    expect(confirmedDry.stdout).toMatch(/rack1-host-2\s+power: null → "cycle" \(reported "on"\)/);
    const refused = await umbra("alice", ["job", "create", ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/400 the job writes destructive values \(power="cycle"\)/);
    const created = await umbra("alice", ["job", "create", ...args, "--confirm", "--watch"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/rack1-host-3 converged/);
    expect(created.stdout).toMatch(/^j-[0-9a-f]+ succeeded: 3 things; converged 3$/m);
    const id = /^(j-[0-9a-f]+) /.exec(created.stdout)?.[1] as string;
    const status = await umbra("alice", ["job", "status", id]);
    expect(status.stdout).toMatch(/rack1-host-2\s+converged\s+yes/);
    const list = await umbra("alice", ["job", "list"]);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+succeeded\\s+3\\s+converged 3\\s+alice`));
  }, 180_000);

  it("claims a thing: the dry run says so, the job skips it, others' writes are refused", async () => {
    const add = await umbra("bob", [
      "claim",
      "add",
      "--things",
      "pdu-2",
      "--reason",
      "fan swap",
      "--for",
      "2h",
    ]);
    expect(add.code).toBe(0);
    const claimId = /^(c-[0-9a-f]+) until /.exec(add.stdout)?.[1] as string;
    expect(claimId).toBeDefined();
    expect((await umbra("alice", ["claim", "list"])).stdout).toMatch(
      new RegExp(`${claimId}\\s+bob\\s+pdu-2\\s+-`),
    );
    const again = await umbra("alice", [
      "claim",
      "add",
      "--things",
      "pdu-*",
      "--reason",
      "audit",
      "--for",
      "5m",
    ]);
    expect(again.stderr).toMatch(new RegExp(`overlaps ${claimId} by 'bob'`));

    const job = ["--things", "pdu-1,pdu-2", "--patch", '{"cap":222}'];
    const dry = await umbra("alice", ["job", "dry-run", ...job]);
    expect(dry.stdout).toMatch(
      new RegExp(`pdu-2\\s+REFUSED claim: thing 'pdu-2' is under maintenance claim ${claimId} by 'bob'`),
    );
    // Alice's own claim does not block her; bob's does.
    const created = await umbra("alice", ["job", "create", ...job, "--watch"]);
    expect(created.stdout).toMatch(/pdu-2 skipped: thing 'pdu-2' is under maintenance claim/);
    expect(created.stdout).toMatch(/succeeded: 2 things; converged 1, skipped 1/);
    const write = await runUmbra(
      [
        "shadow",
        "update",
        "pdu-2",
        '{"state":{"desired":{"cap":1}}}',
        "--url",
        node.httpUrl,
        "--token",
        tokens.alice as string,
      ],
      { timeoutMs: 60_000 },
    );
    expect(write.code).not.toBe(0);
    expect(write.stderr + write.stdout).toMatch(/409.*maintenance claim/s);
    expect((await umbra("bob", ["claim", "release", claimId])).stdout).toBe(`${claimId} released\n`);
    expect((await umbra("alice", ["claim", "list", "--all"])).stdout).toMatch(/released/);
  }, 180_000);
});
