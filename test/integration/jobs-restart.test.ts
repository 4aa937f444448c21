import { rmSync } from "node:fs";
import type { MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { type Behaviour, startDevice } from "../helpers/job-devices.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";
import { SseReader } from "../helpers/sse-reader.ts";

type Json = Record<string, unknown>;

// A job survives its node being killed (SIGKILL) mid-rollout: the restarted node resumes it where it
// was — things it waited for keep being watched, things not started yet are started (docs/jobs.md).
describe("a job across a node restart", () => {
  const dir = tempDir("umbra-jobs-restart-");
  let node: NodeProcess | undefined;
  let clients: MqttClient[] = [];
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    node?.child.kill("SIGKILL");
    await node?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node?.httpUrl}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
        : {}),
    });
    return (await res.json()) as Json;
  };
  const until = async (what: string, ok: () => Promise<boolean>, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await call("GET", "/jobs"))}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const devices = async (behaviours: Record<string, Behaviour>) => {
    for (const [thing, b] of Object.entries(behaviours)) {
      clients.push(await startDevice(node?.mqttUrl as string, thing, b, {}, {}));
    }
  };

  it("resumes waiting and pending things after SIGKILL, and each write carries the job's clientToken", async () => {
    node = await spawnNode(["--data-dir", dir, "--site", "core"]);
    const observer = await connectClient(node.mqttUrl);
    const tokens: string[] = [];
    observer.on("message", (_t, p) => {
      const token = (JSON.parse(p.toString()) as { clientToken?: string }).clientToken;
      if (token) tokens.push(token);
    });
    await observer.subscribeAsync("$umbra/things/+/shadow/update/documents", { qos: 1 });
    clients.push(observer);
    // pdu-3 ignores what it is told in the node's first life: the first batch waits for it.
    await devices({ "pdu-1": "obey", "pdu-3": "ignore", "pdu-4": "obey", "pdu-5": "obey" });
    const job = await call("POST", "/jobs", {
      target: { things: ["pdu-1", "pdu-3", "pdu-4", "pdu-5"] },
      patch: { cap: 300 },
      rollout: { batchSize: 2, timeoutSeconds: 120 },
    });
    const id = job.id as string;
    expect(job.state).toBe("running");

    const sse = await SseReader.open(`${node.httpUrl}/jobs/${id}/stream`, 10_000);
    expect(sse.contentType).toBe("text/event-stream");
    expect((await sse.next(10_000)).event).toBe("job");
    const seen: Json[] = [];
    while (!seen.some((e) => e.thing === "pdu-1" && e.status === "converged")) {
      const e = await sse.next(20_000);
      if (e.event === "thing") seen.push(e.data);
    }
    sse.close();
    await until("pdu-3 waiting", async () => {
      const j = await call("GET", `/jobs/${id}`);
      return (j.things as Json[]).some((t) => t.thing === "pdu-3" && t.status === "waiting");
    });
    await until("pdu-1's documents", async () => tokens.includes(`job:${id}:pdu-1`));

    // Progress is saved at most once a second (docs/jobs.md): give the last save time to happen.
    await new Promise((r) => setTimeout(r, 3000));
    node.child.kill("SIGKILL");
    await node.exited;
    for (const c of clients) c.end(true);
    clients = [];

    node = await spawnNode(["--data-dir", dir, "--site", "core"]);
    const resumed = await call("GET", `/jobs/${id}`);
    expect(resumed.state).toBe("running");
    const before = Object.fromEntries((resumed.things as Json[]).map((t) => [t.thing, t.status]));
    expect(before).toMatchObject({ "pdu-1": "converged", "pdu-4": "pending", "pdu-5": "pending" });
    expect(["waiting", "converged"]).toContain(before["pdu-3"]);
    // In its second life pdu-3 does as it is told (the node sends the delta when it subscribes).
    await devices({ "pdu-1": "obey", "pdu-3": "obey", "pdu-4": "obey", "pdu-5": "obey" });
    let done: Json = {};
    await until("the job to finish", async () => {
      done = await call("GET", `/jobs/${id}`);
      return done.state !== "running";
    });
    expect(done).toMatchObject({ state: "succeeded", counts: { converged: 4, failed: 0 } });
    for (const t of ["pdu-3", "pdu-4", "pdu-5"]) {
      const s = (await call("GET", `/things/${t}/shadow`)).state as { reported: Json };
      expect(s.reported.cap).toBe(300);
    }
    // The list survives too, and the job is over: control answers 409.
    expect(((await call("GET", "/jobs")).jobs as Json[]).map((j) => j.id)).toEqual([id]);
    expect(await call("POST", `/jobs/${id}/pause`)).toMatchObject({ code: 409, error: "job_finished" });
  }, 180_000);
});
