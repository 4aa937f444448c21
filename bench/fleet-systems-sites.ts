/**
 * Systems across sites (docs/fleet.md, "Systems across sites") between two real nodes in one process
 * (core and an edge granted everything, relay flushing every 20 ms, up to 1000 shadows a frame):
 *   npx tsx bench/fleet-systems-sites.ts [things=10000]
 * Baseline, same run: one ordinary shadow update per thing at the core until the edge holds them all.
 * Then: a system of those things defined at the core (the put itself; until every carrier is written;
 * until the edge holds it with every member), a description change (until every carrier at the edge
 * has it), a control (an ordinary update edge → core: is the link free?), and a member added at the
 * edge (until the core has it); last, how many carrier entries each node wrote. Wall-clock ms on
 * whatever machine runs it; the ratios to the baseline are the figures to compare.
 */
import { cpus, loadavg } from "node:os";
import type { FleetExtension } from "../broker/fleet/extension.ts";
import type { TestNode } from "../test/helpers/node.ts";
import { startSite } from "../test/helpers/relay-sites.ts";

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10_000);
const thing = (i: number) => `pdu-${String(i).padStart(6, "0")}`;
const RELAY = { syncDeltaMs: 20, syncMax: 1000, relayAckTimeoutMs: 10_000 };

async function until(check: () => boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const systemsOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet.systems;
const entryAt = (n: TestNode, th: string) =>
  n.service.peek({ thing: th, shadow: "$umbra-systems" }).reported.all as
    | { description?: string }
    | undefined;
const held = (n: TestNode, name: string) => {
  try {
    return systemsOf(n).get(name);
  } catch {
    return undefined;
  }
};

const core = await startSite({ site: "core", config: RELAY });
const edge = await startSite({ site: "edge-1", parents: [{ node: core }], config: RELAY });
try {
  await until(() => {
    const relay = edge.extensions.get("relay") as unknown as { links: Map<string, { connected: boolean }> };
    return relay.links.get("parent:core")?.connected === true;
  }, 30_000);
  const things = Array.from({ length: N }, (_, i) => thing(i));

  let t = performance.now();
  await Promise.all(
    things.map((th) => core.service.update({ thing: th, shadow: "" }, { state: { reported: { watts: 1 } } })),
  );
  await until(() => things.every((th) => edge.service.peek({ thing: th, shadow: "" }).exists));
  const baseline = performance.now() - t;
  // Control: an ordinary update at the edge right after, until the core has it.
  t = performance.now();
  await edge.service.update({ thing: "pdu-probe0", shadow: "" }, { state: { reported: { watts: 1 } } });
  await until(() => core.service.peek({ thing: "pdu-probe0", shadow: "" }).exists);
  const probe0 = performance.now() - t;

  t = performance.now();
  systemsOf(core).put("all", { things, description: "v1" });
  const put = performance.now() - t;
  const carrier = (n: TestNode, th: string) => n.service.peek({ thing: th, shadow: "$umbra-systems" });
  await until(
    () => carrier(core, things[N - 1] as string).exists && things.every((th) => carrier(core, th).exists),
  );
  const written = performance.now() - t;
  await until(() => held(edge, "all")?.things.length === N);
  const arrived = performance.now() - t;

  t = performance.now();
  systemsOf(core).put("all", { things, description: "v2" });
  // Every carrier at the edge has the new header (the system itself shows it at the first one).
  let done = 0;
  await until(() => {
    while (done < N && entryAt(edge, things[done] as string)?.description === "v2") done++;
    return done === N;
  });
  const described = performance.now() - t;

  // Control: an ordinary update at the edge, until the core has it (what the link is busy with now).
  t = performance.now();
  await edge.service.update({ thing: "pdu-probe", shadow: "" }, { state: { reported: { watts: 1 } } });
  await until(() => core.service.peek({ thing: "pdu-probe", shadow: "" }).exists);
  const probe = performance.now() - t;

  t = performance.now();
  await edge.service.update({ thing: "pdu-extra", shadow: "" }, { state: { reported: { watts: 1 } } });
  const t2 = performance.now();
  systemsOf(edge).put("all", { things: [...things, "pdu-extra"], description: "v2" });
  const addCall = performance.now() - t2;
  await until(() => held(core, "all")?.things.length === N + 1);
  const added = performance.now() - t;

  const writes = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).systemsRelay.writes;
  const ratio = (ms: number) => (ms / baseline).toFixed(2);
  console.log(
    `fleet systems across sites, ${N} things, ${cpus().length} cpus, load ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(`baseline: ${N} shadow updates core → edge         ${baseline.toFixed(0)} ms`);
  console.log(`control: an ordinary update edge → core after that    ${probe0.toFixed(0)} ms`);
  console.log(`put of a ${N}-thing system at the core (the call)  ${put.toFixed(0)} ms`);
  console.log(
    `  … every carrier written at the core             ${written.toFixed(0)} ms (${ratio(written)}× baseline)`,
  );
  console.log(
    `  … the edge holds it, every member               ${arrived.toFixed(0)} ms (${ratio(arrived)}× baseline)`,
  );
  console.log(
    `description change, every carrier at the edge      ${described.toFixed(0)} ms (${ratio(described)}× baseline)`,
  );
  console.log(`control: an ordinary update edge → core after that    ${probe.toFixed(0)} ms`);
  console.log(
    `member added at the edge (the put: ${addCall.toFixed(0)} ms), until the core has it ${added.toFixed(0)} ms`,
  );
  console.log(`carrier writes: core ${writes(core)}, edge ${writes(edge)}`);
} finally {
  await edge.stop();
  await core.stop();
}
