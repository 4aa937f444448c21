import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, startSecureNode } from "../helpers/acl-clients.ts";
import { type Behaviour, startDevice } from "../helpers/job-devices.ts";
import type { TestNode } from "../helpers/node.ts";

type Json = Record<string, unknown>;

// Jobs and claims on a node that requires credentials, with real MQTT devices (docs/jobs.md).
describe("jobs and claims", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  const clients: MqttClient[] = [];

  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  const shadow = async (thing: string) =>
    ((await call("viewer", "GET", `/things/${thing}/shadow`)).body.state ?? {}) as {
      desired?: Json;
      reported?: Json;
    };

  /** Polls a job until `done` holds (bounded), returning the last answer. */
  const waitJob = async (id: string, done: (j: Json) => boolean, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    let job: Json = {};
    while (Date.now() < end) {
      job = (await call("viewer", "GET", `/jobs/${id}`)).body;
      if (done(job)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not get there: ${JSON.stringify(job)}`);
  };
  const over = (j: Json) => ["succeeded", "failed", "aborted", "cancelled"].includes(j.state as string);
  const statusOf = (job: Json) =>
    Object.fromEntries((job.things as Json[]).map((t) => [t.thing as string, t.status as string]));

  beforeAll(async () => {
    node = await startSecureNode();
    const id = node.identities;
    tokens.alice = id.createToken("alice", "operator", "pdu-*,host-*").token;
    tokens.bob = id.createToken("bob", "operator", "*").token;
    tokens.viewer = id.createToken("v", "viewer", "*").token;
    const devices: [string, Behaviour][] = [
      ...[1, 2, 3, 4, 5, 6].map((i) => [`pdu-${i}`, "obey"] as [string, Behaviour]),
      ["pdu-7", "ignore"],
      ["pdu-8", "ignore"],
      ...[1, 2, 3].map((i) => [`host-${i}`, "command"] as [string, Behaviour]),
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
    for (const [name] of devices) {
      const type = name.startsWith("pdu") ? "pdu" : "host";
      expect((await call("bob", "PUT", `/things/${name}/attributes`, { type })).status).toBe(200);
    }
    // Every device's first report is in.
    const end = Date.now() + 30_000;
    while ((await call("viewer", "GET", "/things/count?q=shadow.reported.cap:100")).body.count !== 11) {
      if (Date.now() > end) throw new Error("devices did not report");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await node?.stop();
  });

  it("dry-runs a job (diff, claim), runs it in batches, and skips the claimed thing", async () => {
    const claim = await call("bob", "POST", "/claims", {
      things: ["pdu-2"],
      reason: "PSU swap",
      durationSeconds: 3600,
    });
    expect(claim).toMatchObject({ status: 201, body: { owner: "bob", things: ["pdu-2"], overlaps: [] } });
    const job = {
      target: {
        q: "attributes.type:pdu AND shadow.reported.cap:100 AND NOT thingName:pdu-7 AND NOT thingName:pdu-8",
      },
      patch: { cap: 500 },
      rollout: { batchSize: 2, timeoutSeconds: 30 },
    };
    const dry = (await call("alice", "POST", "/jobs/dry-run", job)).body;
    expect(dry).toMatchObject({ things: 6, wouldChange: 5, refused: { claim: 1 }, confirmRequired: false });
    const plans = dry.plans as Json[];
    expect(plans[0]).toEqual({
      thing: "pdu-1",
      changes: [{ path: "cap", reported: 100, to: 500 }],
      pending: [],
      noop: false,
    });
    expect((plans[1]?.refused as Json | undefined)?.reason).toMatch(
      new RegExp(`maintenance claim ${claim.body.id} by 'bob' .*PSU swap`),
    );
    // The dry run wrote nothing.
    expect((await shadow("pdu-1")).desired).toBeUndefined();

    const created = await call("alice", "POST", "/jobs", job);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const done = await waitJob(id, over);
    expect(done).toMatchObject({
      state: "succeeded",
      createdBy: "alice",
      counts: { total: 6, converged: 5, skipped: 1, failed: 0 },
    });
    expect(statusOf(done)["pdu-2"]).toBe("skipped");
    for (const t of ["pdu-1", "pdu-3", "pdu-6"]) expect((await shadow(t)).reported?.cap).toBe(500);
    expect((await shadow("pdu-2")).reported?.cap).toBe(100);
    const pdu1 = (done.things as Json[]).find((t) => t.thing === "pdu-1");
    expect(pdu1).toMatchObject({ status: "converged", written: true });
  }, 120_000);

  it("refuses others' desired writes during a claim with 409 naming it, until released", async () => {
    const claims = (await call("viewer", "GET", "/claims")).body.claims as Json[];
    const claim = claims.find((c) => (c.things as string[]).includes("pdu-2")) as Json;
    const write = (who: string) =>
      fetch(`${node.httpUrl}/things/pdu-2/shadow`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens[who]}` },
        body: JSON.stringify({ state: { desired: { cap: 250 } } }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));
    const refused = await write("alice");
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(
      new RegExp(`^thing 'pdu-2' is under maintenance claim ${claim.id} by 'bob'`),
    );
    const del = await fetch(`${node.httpUrl}/things/pdu-2/shadow`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${tokens.alice}` },
    });
    expect(del.status).toBe(409);
    expect((await write("bob")).status).toBe(200);
    // A second claim overlapping the first is allowed and reported.
    const second = await call("alice", "POST", "/claims", {
      things: ["pdu-*"],
      reason: "audit",
      durationSeconds: 60,
    });
    expect((second.body.overlaps as Json[]).map((c) => c.id)).toEqual([claim.id]);
    expect((await call("alice", "DELETE", `/claims/${second.body.id}`)).status).toBe(200);
    expect((await call("viewer", "DELETE", `/claims/${claim.id}`)).status).toBe(403);
    expect((await call("bob", "DELETE", `/claims/${claim.id}`)).body.releasedAt).toBeTypeOf("number");
    expect((await write("alice")).status).toBe(200);
    expect((await call("viewer", "GET", "/claims")).body.claims).toEqual([]);
  }, 60_000);

  it("lets a claim expire by itself", async () => {
    const short = await call("bob", "POST", "/claims", {
      things: ["pdu-5"],
      reason: "reseat",
      durationSeconds: 2,
    });
    const write = () =>
      fetch(`${node.httpUrl}/things/pdu-5/shadow`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.alice}` },
        body: JSON.stringify({ state: { desired: { cap: 555 } } }),
      }).then((r) => r.status);
    expect(await write()).toBe(409);
    const end = Date.now() + 30_000;
    while ((await write()) === 409 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    expect(await write()).toBe(200);
    const all = (await call("viewer", "GET", "/claims?all=true")).body.claims as Json[];
    expect(all.find((c) => c.id === short.body.id)).toMatchObject({ reason: "reseat" });
    expect((await call("viewer", "GET", "/claims")).body.claims).toEqual([]);
  }, 60_000);

  it("aborts when failures reach the threshold and says which things were written", async () => {
    const created = await call("alice", "POST", "/jobs", {
      target: { things: ["pdu-7", "pdu-8", "pdu-3", "pdu-4", "pdu-5", "pdu-6"] },
      patch: { cap: 700 },
      rollout: { batchSize: 2, timeoutSeconds: 2 },
      abort: { maxFailures: 2 },
    });
    const done = await waitJob(created.body.id as string, over);
    expect(done).toMatchObject({ state: "aborted", counts: { failed: 2, cancelled: 4, converged: 0 } });
    expect(done.reason).toMatch(/2 things failed/);
    const s = statusOf(done);
    expect([s["pdu-7"], s["pdu-8"], s["pdu-3"]]).toEqual(["failed", "failed", "cancelled"]);
    const things = done.things as Json[];
    expect(things[0]?.reason).toMatch(/^timeout: reported did not match desired within 2 s/);
    expect(things.filter((t) => t.written).map((t) => t.thing)).toEqual(["pdu-7", "pdu-8"]);
    expect((await shadow("pdu-3")).desired?.cap).toBe(500);
  }, 60_000);

  it("needs confirm for a destructive one-shot command, then runs it once per host", async () => {
    const job = {
      target: { q: "attributes.type:host" },
      command: { power: "cycle" },
      rollout: { batchSize: 1 },
    };
    const dry = (await call("alice", "POST", "/jobs/dry-run", job)).body;
    expect(dry).toMatchObject({ things: 3, confirmRequired: true, destructive: ['power="cycle"'] });
    expect((dry.plans as Json[])[0]?.refused).toEqual({
      code: "destructive",
      reason: 'destructive without confirm: power="cycle"',
    });
    const refused = await call("alice", "POST", "/jobs", job);
    expect(refused).toMatchObject({ status: 400, body: { error: "confirm_required" } });
    expect((await call("alice", "GET", "/jobs")).body.jobs).toHaveLength(2);
    const created = await call("alice", "POST", "/jobs", { ...job, confirm: true });
    const done = await waitJob(created.body.id as string, over);
    expect(done).toMatchObject({ state: "succeeded", counts: { converged: 3 } });
    for (const h of ["host-1", "host-2", "host-3"]) {
      const s = await shadow(h);
      expect(s.desired?.power).toBeUndefined();
      expect(s.reported?.cycles).toBe(1);
    }
  }, 60_000);

  it("pauses, resumes and cancels; viewers may read but not run jobs", async () => {
    const created = await call("alice", "POST", "/jobs", {
      target: { things: ["pdu-1", "pdu-3", "pdu-4", "pdu-5", "pdu-6"] },
      patch: { cap: 900 },
      rollout: { batchSize: 5, ratePerMinute: 10 },
    });
    const id = created.body.id as string;
    await waitJob(id, (j) => (j.counts as Json).converged === 1);
    expect((await call("alice", "POST", `/jobs/${id}/pause`)).body.state).toBe("paused");
    await new Promise((r) => setTimeout(r, 2500));
    const paused = (await call("viewer", "GET", `/jobs/${id}`)).body;
    expect(paused.counts).toMatchObject({ pending: 4, converged: 1 });
    expect((await call("alice", "POST", `/jobs/${id}/resume`)).body.state).toBe("running");
    await waitJob(id, (j) => (j.counts as Json).converged === 2);
    const cancelled = (await call("alice", "POST", `/jobs/${id}/cancel`)).body;
    expect(cancelled).toMatchObject({ state: "cancelled", written: ["pdu-1", "pdu-3"], notStarted: 3 });
    expect((await shadow("pdu-6")).desired?.cap).toBe(500);
    expect((await call("alice", "POST", `/jobs/${id}/resume`)).status).toBe(409);
    expect(
      (await call("viewer", "POST", "/jobs", { target: { things: ["pdu-1"] }, patch: { a: 1 } })).status,
    ).toBe(403);
    expect((await call("alice", "POST", "/jobs", { target: { things: ["pdu-1"] } })).body).toMatchObject({
      code: 400,
      error: "invalid_job",
    });
    // Alice's grant is checked per thing: a thing outside it fails with the access reason.
    const outside = await call("alice", "POST", "/jobs/dry-run", {
      target: { things: ["ups-1"] },
      patch: { a: 1 },
    });
    expect((outside.body.plans as Json[])[0]?.refused).toEqual({
      code: "access",
      reason: "operator 'alice' is not granted thing 'ups-1'",
    });
  }, 60_000);
});
