import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnNode, startTestNode, type TestNode, tempDir } from "../helpers/node.ts";
import { expectAccepted, ProbePool, ShadowProbe, shadowBase } from "../helpers/shadow-probe.ts";

/** update/delta: what it contains, when it is (not) published, and the delta sent on subscribe. */
describe("shadow delta over MQTT", () => {
  let node: TestNode;
  const pool = new ProbePool(() => node.mqttUrl);
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => node.stop());

  /** A client watching both roots of one shadow. */
  async function device(thing: string, shadow = ""): Promise<ShadowProbe> {
    const p = await pool.connect();
    await p.watch(thing, shadow);
    await p.watch(thing, shadow, "$aws");
    return p;
  }

  /**
   * Waits until the node has announced the update tagged `token`: its documents on both roots, then a get
   * round trip. The node renders the delta in the same step as the documents, so a delta that was going
   * to be published is in by then, whatever order the node publishes roots and replies in.
   */
  async function settled(p: ShadowProbe, base: string, token: string, from: number): Promise<void> {
    for (const root of [base, base.replace(/^\$umbra\//, "$aws/")]) {
      await p.waitFor(
        (m) => m.topic === `${root}/update/documents` && m.body?.clientToken === token,
        `documents ${token} on ${root}`,
        from,
      );
    }
    await p.request(base, "get", { clientToken: `after-${token}` }, `after-${token}`);
  }

  it("contains only the desired leaves that differ from reported, with their metadata", async () => {
    const thing = "dl-leaves";
    const base = shadowBase(thing);
    const p = await device(thing);
    const from = p.mark();
    await p.request(base, "update", {
      state: {
        desired: { a: 1, b: { c: 2, d: 3 }, list: [1, 2], same: [{ k: 1 }] },
        reported: { a: 1, b: { c: 2, d: 4 }, list: [1, 2, 3], same: [{ k: 1 }], extra: 5 },
      },
      clientToken: "leaves",
    });
    const delta = (await p.waitFor((m) => m.topic === `${base}/update/delta`, "delta", from)).body ?? {};
    // Arrays compare whole: `list` differs as a whole, `same` is equal; `extra` is only reported.
    expect(delta.state).toEqual({ b: { d: 3 }, list: [1, 2] });
    const ts = delta.timestamp;
    expect(delta.metadata).toEqual({ b: { d: { timestamp: ts } }, list: { timestamp: ts } });
    expect(delta.version).toBe(1);
    expect(delta.clientToken).toBe("leaves");
    expect(Object.keys(delta).sort()).toEqual(["clientToken", "metadata", "state", "timestamp", "version"]);
  });

  it("is published on every accepted change that leaves a difference, and not once reported catches up", async () => {
    const thing = "dl-catchup";
    const base = shadowBase(thing);
    const p = await device(thing);
    const deltas = (from: number) => p.received((m) => m.topic === `${base}/update/delta`, from);

    let from = p.mark();
    await p.request(base, "update", { state: { desired: { power: "on", temp: 20 } }, clientToken: "d1" });
    await settled(p, base, "d1", from);
    expect(deltas(from).map((m) => m.body?.state)).toEqual([{ power: "on", temp: 20 }]);

    // Partial catch-up: the remaining difference is announced again.
    from = p.mark();
    await p.request(base, "update", { state: { reported: { power: "on" } }, clientToken: "r1" });
    await settled(p, base, "r1", from);
    expect(deltas(from).map((m) => m.body?.state)).toEqual([{ temp: 20 }]);

    // Full catch-up: documents are published, but no delta.
    from = p.mark();
    await p.request(base, "update", { state: { reported: { temp: 20, humidity: 40 } }, clientToken: "r2" });
    await settled(p, base, "r2", from);
    expect(deltas(from)).toEqual([]);
    expect(expectAccepted(await p.request(base, "get")).state?.delta).toBeUndefined();

    // A reported-only change while in sync publishes no delta either.
    from = p.mark();
    await p.request(base, "update", { state: { reported: { humidity: 41 } }, clientToken: "r3" });
    await settled(p, base, "r3", from);
    expect(deltas(from)).toEqual([]);

    // Deleting the desired key that differed also ends the delta.
    from = p.mark();
    await p.request(base, "update", { state: { desired: { mode: "eco" } }, clientToken: "d2" });
    await settled(p, base, "d2", from);
    expect(deltas(from).map((m) => m.body?.state)).toEqual([{ mode: "eco" }]);
    from = p.mark();
    await p.request(base, "update", { state: { desired: { mode: null } }, clientToken: "d3" });
    await settled(p, base, "d3", from);
    expect(deltas(from)).toEqual([]);
  });

  it("sends the pending delta to a client right when it subscribes to its delta topic", async () => {
    const thing = "dl-subscribe";
    for (const [shadow, root] of [
      ["", "$umbra"],
      ["", "$aws"],
      ["cfg", "$umbra"],
    ] as const) {
      const base = shadowBase(thing, shadow, root);
      const op = await device(thing, shadow);
      await op.request(shadowBase(thing, shadow), "update", {
        state: { desired: { want: shadow || "classic", keep: 1 }, reported: { keep: 1 } },
      });
      const version = expectAccepted(await op.request(shadowBase(thing, shadow), "get")).version;

      const late = await pool.connect();
      await late.subscribe(`${base}/update/delta`);
      const got = await late.waitFor(
        (m) => m.topic === `${base}/update/delta`,
        `delta on subscribe to ${base}`,
      );
      expect(got.body?.state).toEqual({ want: shadow || "classic" });
      expect(got.body?.version).toBe(version);
      expect(got.body?.metadata).toEqual({ want: { timestamp: expect.any(Number) } });
      expect(late.log).toHaveLength(1);
    }
  });

  it("sends nothing on subscribe when there is no delta (in sync, missing or deleted shadow)", async () => {
    const op = await device("dl-insync");
    await op.request(shadowBase("dl-insync"), "update", { state: { desired: { x: 1 }, reported: { x: 1 } } });
    const gone = await device("dl-deleted");
    await gone.request(shadowBase("dl-deleted"), "update", { state: { desired: { x: 1 } } });
    expectAccepted(await gone.request(shadowBase("dl-deleted"), "delete"));

    const late = await pool.connect();
    const things = ["dl-insync", "dl-never", "dl-deleted"];
    await late.subscribe(things.map((t) => `${shadowBase(t)}/update/delta`));
    // Barrier: a full request round trip through the node after the subscription was handled.
    await late.subscribe(`${shadowBase("dl-insync")}/get/+`);
    expectAccepted(await late.request(shadowBase("dl-insync"), "get"));
    expect(late.received((m) => m.topic.endsWith("/update/delta"))).toEqual([]);

    // Control: the same subscriber does get the delta once one exists.
    await op.request(shadowBase("dl-insync"), "update", { state: { desired: { x: 2 } } });
    const d = await late.waitFor(
      (m) => m.topic === `${shadowBase("dl-insync")}/update/delta`,
      "control delta",
    );
    expect(d.body?.state).toEqual({ x: 2 });
  });

  it("survives sending the delta on subscribe (a node process, where an uncaught error would be fatal)", async () => {
    const dataDir = tempDir();
    const proc = await spawnNode(["--data-dir", dataDir, "--site", "delta-proc"]);
    try {
      const op = await ShadowProbe.connect(proc.mqttUrl);
      await op.watch("dl-proc");
      await op.request(shadowBase("dl-proc"), "update", { state: { desired: { on: true } } });
      const late = await ShadowProbe.connect(proc.mqttUrl);
      await late.subscribe(`${shadowBase("dl-proc")}/update/delta`);
      await late.waitFor((m) => m.topic.endsWith("/update/delta"), "delta on subscribe");
      // The write callback of that delivery runs on the next turns; then the node must still answer.
      const exited = await Promise.race([
        proc.exited.then(() => true),
        new Promise((r) => setTimeout(r, 200, false)),
      ]);
      expect(exited, proc.stderr()).toBe(false);
      expectAccepted(await op.request(shadowBase("dl-proc"), "get"));
      await Promise.all([op.end(), late.end()]);
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
