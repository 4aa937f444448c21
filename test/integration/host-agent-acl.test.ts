import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, eventually, spawnAgent } from "../helpers/host-agent.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

type Json = Record<string, unknown>;
interface Shadow {
  version: number;
  state: { desired?: Json; reported?: Json; delta?: Json };
}

/**
 * Two hosts, two agents, two device identities on one secure node: each agent acts on its own thing
 * only, and an agent pointed at a thing its identity does not own is refused and says so.
 */
describe("two host agents are isolated by the ACL", () => {
  const dir = tempDir("umbra-host-agent-acl-");
  const file = (thing: string) => join(dir, `${thing}.motd`);
  let node: TestNode;
  let token: string;
  let operator: MqttClient;
  const passwords: Record<string, string> = {};
  const agents: AgentProcess[] = [];

  const shadow = async (thing: string): Promise<Shadow | undefined> => {
    const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET shadow: ${res.status}`);
    return (await res.json()) as Shadow;
  };
  const setDesired = (thing: string, desired: Json) =>
    operator.publishAsync(`$aws/things/${thing}/shadow/update`, JSON.stringify({ state: { desired } }), {
      qos: 1,
    });
  const startAgentFor = async (thing: string, identity = thing) => {
    const config = join(dir, `${thing}.yaml`);
    writeFileSync(config, `handlers:\n  motd:\n    desired: motd\n    file: { path: ${file(thing)} }\n`);
    const agent = spawnAgent(
      [
        "--url",
        node.mqttUrl,
        "--thing",
        thing,
        "--username",
        identity,
        "--config",
        config,
        "--interval",
        "300ms",
      ],
      { UMBRA_AGENT_PASSWORD: passwords[identity] },
    );
    agents.push(agent);
    return agent;
  };

  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false });
    for (const thing of ["host-a", "host-b"]) passwords[thing] = node.identities.add(thing, "device", thing);
    const ops = node.identities.add("ops", "operator", "*");
    token = node.identities.createToken("ops-http", "operator", "*").token;
    operator = await connectClient(node.mqttUrl, { username: "ops", password: ops, clientId: "ops-acl" });
    const [a, b] = [await startAgentFor("host-a"), await startAgentFor("host-b")];
    await Promise.all([
      a.waitForStdout(/umbra agent: ready host-a /),
      b.waitForStdout(/umbra agent: ready host-b /),
    ]);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await operator?.endAsync();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each agent reports facts into its own shadow only", async () => {
    for (const thing of ["host-a", "host-b"]) {
      const s = await eventually(async () => {
        const doc = await shadow(thing);
        return doc?.state.reported?.host ? doc : undefined;
      }, 5000);
      expect(Object.keys(s.state.reported ?? {}).sort()).toEqual(["agent", "host"]);
    }
  });

  it("a desired change for one thing runs only that thing's agent", async () => {
    await setDesired("host-a", { motd: "only for a\n" });
    await eventually(async () =>
      (await shadow("host-a"))?.state.delta === undefined && existsSync(file("host-a")) ? true : undefined,
    );
    expect(readFileSync(file("host-a"), "utf8")).toBe("only for a\n");
    // host-b's agent saw nothing: no file, nothing reported, no delta in its shadow.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(file("host-b"))).toBe(false);
    const b = await shadow("host-b");
    expect(b?.state.reported?.motd).toBeUndefined();
    expect(b?.state.desired).toBeUndefined();
    await setDesired("host-b", { motd: "only for b\n" });
    await eventually(async () =>
      (await shadow("host-b"))?.state.reported?.motd === "only for b\n" ? true : undefined,
    );
    expect(readFileSync(file("host-b"), "utf8")).toBe("only for b\n");
    expect(readFileSync(file("host-a"), "utf8")).toBe("only for a\n");
  });

  it("each agent's telemetry carries its own thing on its own topic; another device cannot read it", async () => {
    const seen = new Map<string, Json>();
    const onMessage = (topic: string, payload: Buffer) =>
      seen.set(topic, JSON.parse(payload.toString()) as Json);
    operator.on("message", onMessage);
    await operator.subscribeAsync("things/+/telemetry", { qos: 0 });
    await eventually(async () => (seen.size >= 2 ? true : undefined), 3000, "telemetry of both hosts");
    operator.off("message", onMessage);
    await operator.unsubscribeAsync("things/+/telemetry");
    expect([...seen.keys()].sort()).toEqual(["things/host-a/telemetry", "things/host-b/telemetry"]);
    expect(seen.get("things/host-a/telemetry")?.thing).toBe("host-a");
    expect(seen.get("things/host-b/telemetry")?.thing).toBe("host-b");
    // host-b's identity may not subscribe to host-a's telemetry (SUBACK 0x80).
    const probe = await connectClient(node.mqttUrl, {
      username: "host-b",
      password: passwords["host-b"],
      clientId: "host-b-probe",
    });
    const granted = await probe.subscribeAsync("things/host-a/telemetry", { qos: 0 }).then(
      (g) => g[0]?.qos,
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
    );
    expect(granted).toBe(128);
    await probe.endAsync();
  });

  it("an agent for a thing its identity does not own is refused with a clear error and changes nothing", async () => {
    const before = await shadow("host-b");
    const contents = readFileSync(file("host-b"), "utf8");
    // host-a's credentials, host-b's thing: host-b's agent holds the client id, so the CONNECT is refused.
    const rogue = await startAgentFor("host-b", "host-a");
    expect(await rogue.exited).toBe(1);
    expect(rogue.stderr()).toContain(
      "umbra agent: the node refused the connection as 'host-a': Connection refused: Identifier rejected (client id 'host-b' is in use by another identity)",
    );
    // A thing nobody is connected as: connected (the password comes from the config's passwordFile this
    // time), but its shadow is refused (403), and the agent stops.
    const pwFile = join(dir, "host-a.password");
    writeFileSync(pwFile, `${passwords["host-a"]}\n`, { mode: 0o600 });
    const configC = join(dir, "host-c.yaml");
    writeFileSync(
      configC,
      `username: host-a\npasswordFile: ${pwFile}\nhandlers:\n  motd:\n    desired: motd\n    file: { path: ${file("host-c")} }\n`,
    );
    const rogueC = spawnAgent(["--url", node.mqttUrl, "--thing", "host-c", "--config", configC]);
    agents.push(rogueC);
    expect(await rogueC.exited).toBe(1);
    expect(rogueC.stderr()).toContain(
      "umbra agent: the node refused the shadow of 'host-c': subscribe rejected (403)",
    );
    for (const r of [rogue, rogueC]) expect(r.stdout()).not.toContain("ready");
    expect(existsSync(file("host-c"))).toBe(false);
    expect(await shadow("host-c")).toBeUndefined();
    expect(readFileSync(file("host-b"), "utf8")).toBe(contents);
    const after = await shadow("host-b");
    expect(after?.version).toBe(before?.version);
    expect(after?.state.reported).toEqual(before?.state.reported);
  });

  it("wrong credentials end the agent with a clear error that does not echo the password", async () => {
    const agent = spawnAgent(["--url", node.mqttUrl, "--thing", "host-a"], {
      UMBRA_AGENT_PASSWORD: "not-the-password-42",
    });
    agents.push(agent);
    expect(await agent.exited).toBe(1);
    expect(agent.stderr()).toContain("umbra agent: the node refused the connection as 'host-a'");
    expect(agent.stderr() + agent.stdout()).not.toContain("not-the-password-42");
  });
});
