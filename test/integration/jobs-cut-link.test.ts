import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsExtension } from "../../broker/jobs/extension.ts";
import { principal } from "../../shared/acl.ts";
import { addIdentities } from "../helpers/acl-clients.ts";
import { startDevice } from "../helpers/job-devices.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, eventually, linkUp, startSite } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

type Json = Record<string, unknown>;

// Jobs across a cut link between an edge site and its core (docs/jobs.md "Where a job runs"): a job
// created at the edge finishes offline and the core sees the outcome in the shadows after healing; a
// job created at the core for the edge's things waits through the cut and converges after it.
describe("jobs across a cut link", () => {
  let core: TestNode;
  let edge: TestNode;
  let proxy: TcpProxy;
  const clients: MqttClient[] = [];
  const ops = principal("ops", "operator", "*");
  const jobsOf = (n: TestNode) => (n.extensions.get("jobs") as JobsExtension).jobs;
  const state = (n: TestNode, id: string) => jobsOf(n).get(id, ops, true);

  beforeAll(async () => {
    core = await startSite({ site: "core" });
    proxy = await startTcpProxy(core.mqttPort);
    edge = await startSite({ site: "edge-1", parents: [{ node: core, url: proxy.url }] });
    await linkUp(edge, "parent:core");
    const things = ["e-1", "e-2", "e-3", "e-4"];
    const passwords = addIdentities(
      edge,
      things.map((name) => ({ name, role: "device" as const })),
    );
    for (const t of things) {
      clients.push(await startDevice(edge.mqttUrl, t, "obey", { username: t, password: passwords.get(t) }));
    }
    await eventually(() => {
      for (const t of things) expect(core.service.peek(addr(t)).reported.cap).toBe(100);
    }, 30_000);
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await edge?.stop();
    await core?.stop();
    await proxy?.close();
  });

  it("runs at the edge while cut off; the core sees the outcome after healing", async () => {
    proxy.cut();
    const job = jobsOf(edge).create(
      { target: { things: ["e-1", "e-2"] }, patch: { cap: 321 }, rollout: { batchSize: 1 } },
      ops,
    );
    await eventually(() => expect(state(edge, job.id as string).state).toBe("succeeded"), 30_000);
    expect(core.service.peek(addr("e-1")).reported.cap).toBe(100);
    proxy.restore();
    await eventually(() => {
      for (const t of ["e-1", "e-2"]) {
        const view = core.service.peek(addr(t));
        expect(view.desired.cap).toBe(321);
        expect(view.reported.cap).toBe(321);
      }
    }, 30_000);
  }, 90_000);

  it("runs at the core for the edge's things: waits through the cut, converges after it", async () => {
    await linkUp(edge, "parent:core", 30_000);
    proxy.cut();
    const job = jobsOf(core).create(
      {
        target: { things: ["e-3", "e-4"] },
        patch: { cap: 654 },
        rollout: { batchSize: 2, timeoutSeconds: 120 },
      },
      ops,
    );
    const id = job.id as string;
    await eventually(() => expect((state(core, id).counts as Json).waiting).toBe(2), 10_000);
    // The core accepted the writes while cut off; the edge has not seen them.
    expect(core.service.peek(addr("e-3")).desired.cap).toBe(654);
    expect(edge.service.peek(addr("e-3")).desired.cap).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1000));
    expect(state(core, id).state).toBe("running");
    proxy.restore();
    await eventually(
      () => expect(state(core, id)).toMatchObject({ state: "succeeded", counts: { converged: 2 } }),
      60_000,
    );
    expect(edge.service.peek(addr("e-4")).reported.cap).toBe(654);
  }, 120_000);
});
