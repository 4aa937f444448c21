import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type NodeProcess, spawnNode, type TestNode, tempDir } from "../helpers/node.ts";
import { allDesired, Ledger } from "../helpers/relay-ledger.ts";
import { addr, eventually, startSite, write } from "../helpers/relay-sites.ts";
import { httpShadow } from "../helpers/shadow-http.ts";

const THINGS = ["ups-a", "ups-b", "ups-c", "ups-d"];

describe("relay: kill -9 of a site mid-frame", () => {
  let core: TestNode | undefined;
  let edge: NodeProcess | undefined;
  const dataDir = tempDir("umbra-relay-crash-");
  afterEach(async () => {
    edge?.child.kill("SIGKILL");
    await edge?.exited;
    await core?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses no acknowledged write and applies none twice after restart", async () => {
    core = await startSite({ site: "core" });
    const password = core.identities.add("edge", "site", "*");
    const startEdge = () =>
      spawnNode(
        ["--site", "edge", "--data-dir", dataDir, "--parent", core?.mqttUrl ?? "", "--parent-user", "edge"],
        { UMBRA_PARENT_PASSWORD: password, UMBRA_SYNC_DELTA_MS: "5", UMBRA_SYNC_MAX: "5" },
      );
    edge = await startEdge();

    const ledger = new Ledger();
    let n = 0;
    const atCore = async () => {
      const id = `w-core-${n++}`;
      ledger.attempt(id);
      await write(core as TestNode, addr(THINGS[n % THINGS.length] as string), {
        state: { desired: { [id]: 1 } },
      });
      ledger.ack(id);
    };
    const atEdge = async (url: string) => {
      const id = `w-edge-${n++}`;
      ledger.attempt(id);
      const r = await httpShadow(url, THINGS[n % THINGS.length] as string, {
        op: "update",
        body: JSON.stringify({ state: { desired: { [id]: 1 } } }),
      }).catch(() => undefined);
      if (r?.code === 200) ledger.ack(id);
    };

    // Both sides write continuously; the relay sends a frame every few ms, so the kill lands mid-stream.
    const url = edge.httpUrl;
    const relay = core.extensions.get("relay") as unknown as {
      peers(): { peer: string; changesReceived: number }[];
    };
    const relayed = () => relay.peers().find((p) => p.peer === "child:edge")?.changesReceived ?? 0;
    for (let i = 0; i < 18; i++) await Promise.all([atCore(), atEdge(url), atEdge(url)]);
    await eventually(() => expect(relayed()).toBeGreaterThan(10));
    const inflight = Promise.all(Array.from({ length: 10 }, () => atEdge(url)));
    edge.child.kill("SIGKILL");
    await edge.exited;
    await inflight;
    for (let i = 0; i < 10; i++) await atCore();

    edge = await startEdge();
    const url2 = edge.httpUrl;
    for (let i = 0; i < 5; i++) await Promise.all([atCore(), atEdge(url2)]);

    const edgeView = async (thing: string) => {
      const r = await httpShadow(url2, thing, { op: "get" });
      const body = r.body as { state: { desired: Record<string, number> }; version: number };
      return { desired: body.state.desired, version: body.version };
    };
    await eventually(async () => {
      for (const thing of THINGS) {
        const here = core?.service.peek(addr(thing));
        const there = await edgeView(thing);
        expect(there).toEqual({ desired: here?.desired, version: here?.version });
      }
    }, 12_000);
    const coreViews = THINGS.map(
      (t) => core?.service.peek(addr(t)) as { desired: Record<string, number>; version: number },
    );
    const { lost, unexpected } = ledger.check(allDesired(coreViews));
    expect(lost).toEqual([]);
    expect(unexpected).toEqual([]);
    // Nothing applied twice: each write is one key and one version increment.
    for (const v of coreViews) expect(v.version).toBe(Object.keys(v.desired).length);
    expect(ledger.acknowledged.size).toBeGreaterThan(70);
  });
});
