import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RelayLink } from "../../broker/relay/link.ts";
import type { RelayExtension } from "../../broker/relay/relay-extension.ts";
import { sameHeads } from "../../broker/shadow/shadow-doc.ts";
import { createLogger } from "../../shared/logger.ts";
import { shadowKey } from "../../shared/topics.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";
import { addr, eventually, remove, write } from "../helpers/relay-sites.ts";

/**
 * Convergence under random operations, partitions and restarts. Sites are real nodes (SQLite, shadow
 * service, group commit); their relay links exchange real encoded frames over an in-memory wire that
 * can be cut, so a run explores many partitions in little time (the MQTT transports have their own
 * integration tests). After healing, every site must hold identical heads and views for every shadow.
 */
const RUNS = Number(process.env.UMBRA_RELAY_RUNS ?? 12);
const THINGS = ["t-a", "t-b", "t-c"];
/** A shared thing that is never deleted and whose keys are written once: every accepted write must survive. */
const MARKS = "t-m";
/** One thing per site that its links never share: cut into epochs locally (docs/shadow-engine.md). */
const LOCAL = (site: number) => `local-${site}`;
const SITES = 3;
const log = createLogger("silent");
const OPTIONS = { syncDeltaMs: 5, syncMax: 4, ackTimeoutMs: 500, maxFrameBytes: 600, window: 2 };

interface Site {
  name: string;
  dataDir: string;
  node: TestNode;
  links: Map<number, RelayLink>; // by wire index
  off: () => void;
}

interface Wire {
  parent: number;
  child: number;
  up: boolean;
}

type Op =
  | { k: "update"; site: number; thing: number; section: "desired" | "reported"; key: number; value: number }
  | { k: "delete"; site: number; thing: number }
  | { k: "local"; site: number; section: "desired" | "reported"; key: number; value: number }
  | { k: "localDelete"; site: number }
  | { k: "mark"; site: number; section: "desired" | "reported" }
  | { k: "cut"; wire: number }
  | { k: "heal"; wire: number }
  | { k: "restart"; site: number }
  | { k: "settle" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("update" as const),
      site: fc.nat(SITES - 1),
      thing: fc.nat(THINGS.length - 1),
      section: fc.constantFrom("desired" as const, "reported" as const),
      key: fc.nat(3),
      value: fc.integer({ min: 0, max: 99 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("delete" as const),
      site: fc.nat(SITES - 1),
      thing: fc.nat(THINGS.length - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("local" as const),
      site: fc.nat(SITES - 1),
      section: fc.constantFrom("desired" as const, "reported" as const),
      key: fc.nat(3),
      value: fc.integer({ min: 0, max: 9 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("localDelete" as const), site: fc.nat(SITES - 1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("mark" as const),
      site: fc.nat(SITES - 1),
      section: fc.constantFrom("desired" as const, "reported" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("cut" as const), wire: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("heal" as const), wire: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("restart" as const), site: fc.nat(SITES - 1) }) },
  { weight: 1, arbitrary: fc.constant({ k: "settle" as const }) },
);

/** chain: 0 ← 1 ← 2 (transitive); star: 0 ← 1, 0 ← 2. */
const topologyArb = fc.constantFrom("chain", "star");

/**
 * How often the store compacts (snapshot rewrite after N chunks) and cuts a shadow into a new epoch
 * (after N changes): small and random, so both happen at random moments, across partitions and
 * restarts. `agreed`: site 0 (the top of both topologies) also cuts the shared shadows (agreed cuts,
 * docs/shadow-engine.md) once every connected peer holds its heads; the others adopt. `deferUpdates`:
 * the local shadows' updates reach their documents folded, that many at a time (0: one change each).
 */
const storeArb = fc.record({
  compactAfterChunks: fc.integer({ min: 1, max: 5 }),
  epochAfterChanges: fc.integer({ min: 1, max: 4 }),
  deferUpdates: fc.integer({ min: 0, max: 4 }),
  agreed: fc.boolean(),
});
type StoreTuning = {
  compactAfterChunks: number;
  epochAfterChanges: number;
  deferUpdates: number;
  agreed: boolean;
};

/** What a local shadow must hold: only its own site writes it, so a plain model predicts it. */
interface LocalModel {
  exists: boolean;
  version: number;
  desired: Record<string, number>;
  reported: Record<string, number>;
}

async function run(topology: string, ops: Op[], tuning: StoreTuning): Promise<void> {
  const wires: Wire[] =
    topology === "chain"
      ? [
          { parent: 0, child: 1, up: false },
          { parent: 1, child: 2, up: false },
        ]
      : [
          { parent: 0, child: 1, up: false },
          { parent: 0, child: 2, up: false },
        ];
  const sites: Site[] = [];
  const linkOf = (site: number, wire: number) => sites[site]?.links.get(wire);

  const attach = (i: number, node: TestNode, dataDir: string): Site => {
    const name = `s${i}`;
    const state = (node.extensions.get("relay") as RelayExtension).state;
    const links = new Map<number, RelayLink>();
    // The agreed cut, wired as the relay extension wires it (broker/relay/relay-extension.ts).
    const agreedHere = tuning.agreed && i === 0;
    const acked = (key: string) => {
      const [thing = "", shadow = ""] = key.split("/");
      if (!node.store.cutReady(node.store.open({ thing, shadow }))) return;
      void node.service.cutShared({ thing, shadow }).then((done) => {
        if (done) for (const l of links.values()) l.markDirty(key, thing);
      });
    };
    wires.forEach((w, wi) => {
      if (w.parent !== i && w.child !== i) return;
      const side = w.child === i ? "child" : "parent";
      const other = side === "child" ? w.parent : w.child;
      const link = new RelayLink(
        `${side === "child" ? "parent" : "child"}:s${other}`,
        {
          site: name,
          side,
          service: node.service,
          store: node.store,
          state,
          log,
          allows: (thing) => !thing.startsWith("local-"),
          ...(agreedHere ? { acked } : {}),
          send: (bytes) => {
            if (!w.up) return false;
            setImmediate(() => {
              if (w.up) linkOf(other, wi)?.receive(bytes);
            });
            return true;
          },
        },
        OPTIONS,
      );
      links.set(wi, link);
    });
    const onChange = (c: { addr: { thing: string; shadow: string }; origin?: string }) => {
      for (const l of links.values()) if (l.peer !== c.origin) l.markDirty(shadowKey(c.addr), c.addr.thing);
    };
    node.service.on("change", onChange);
    // What the relay extension decides from its parents and site identities, decided here from the
    // test's own links: shared things are never cut locally, the site's local thing is.
    node.store.setCutPolicy((a, heads) => {
      if (a.thing.startsWith("local-")) return true;
      if (!agreedHere || !heads) return false;
      const key = shadowKey(a);
      const lagging = [...links.values()].some((l) => l.connected && l.syncState(key, heads) !== "synced");
      return lagging ? false : "agreed";
    });
    return { name, dataDir, node, links, off: () => node.service.off("change", onChange) };
  };

  const start = async (i: number, dataDir = tempDir("umbra-relay-prop-")) => {
    const { agreed: _a, ...store } = tuning;
    const node = await startTestNode({ site: `s${i}`, dataDir, logLevel: "silent", ...store });
    sites[i] = attach(i, node, dataDir);
  };

  const connect = (wi: number) => {
    const w = wires[wi] as Wire;
    if (w.up) return;
    w.up = true;
    linkOf(w.child, wi)?.open(); // the child dials; the parent opens on its hello
  };
  const cut = (wi: number) => {
    const w = wires[wi] as Wire;
    w.up = false;
    linkOf(w.child, wi)?.close();
    linkOf(w.parent, wi)?.close();
  };

  const models: LocalModel[] = Array.from({ length: SITES }, () => ({
    exists: false,
    version: 0,
    desired: {},
    reported: {},
  }));
  const marks: { section: "desired" | "reported"; key: string }[] = [];
  try {
    for (let i = 0; i < SITES; i++) await start(i);
    for (let wi = 0; wi < wires.length; wi++) connect(wi);
    for (const op of ops) {
      switch (op.k) {
        case "update": {
          const site = sites[op.site] as Site;
          const body = { state: { [op.section]: { [`k${op.key}`]: op.value } } };
          await write(site.node, addr(THINGS[op.thing] as string), body);
          break;
        }
        case "delete":
          await remove((sites[op.site] as Site).node, addr(THINGS[op.thing] as string));
          break;
        case "local": {
          const m = models[op.site] as LocalModel;
          const body = { state: { [op.section]: { [`k${op.key}`]: op.value } } };
          await write((sites[op.site] as Site).node, addr(LOCAL(op.site)), body);
          if (!m.exists || m[op.section][`k${op.key}`] !== op.value) m.version++;
          m.exists = true;
          m[op.section][`k${op.key}`] = op.value;
          break;
        }
        case "localDelete": {
          const m = models[op.site] as LocalModel;
          await remove((sites[op.site] as Site).node, addr(LOCAL(op.site)));
          if (m.exists)
            Object.assign(m, { exists: false, version: m.version + 1, desired: {}, reported: {} });
          break;
        }
        case "mark": {
          const key = `m${marks.length}-s${op.site}`;
          await write((sites[op.site] as Site).node, addr(MARKS), { state: { [op.section]: { [key]: 1 } } });
          marks.push({ section: op.section, key });
          break;
        }
        case "cut":
          cut(op.wire);
          break;
        case "heal":
          connect(op.wire);
          break;
        case "restart": {
          const site = sites[op.site] as Site;
          const mine = [...site.links.keys()];
          for (const wi of mine) cut(wi);
          await Promise.all([...site.links.values()].map((l) => l.shutdown()));
          site.off();
          await site.node.stop({ keepData: true });
          await start(op.site, site.dataDir);
          for (const wi of mine) connect(wi);
          break;
        }
        case "settle":
          await new Promise((r) => setTimeout(r, 20));
          break;
      }
    }
    for (let wi = 0; wi < wires.length; wi++) connect(wi);
    await eventually(() => {
      for (const thing of [...THINGS, MARKS]) {
        const a = addr(thing);
        const first = (sites[0] as Site).node.store.open(a).doc;
        for (const s of sites.slice(1)) {
          const doc = s.node.store.open(a).doc;
          expect(sameHeads(doc.heads(), first.heads()), `${s.name} ${thing}`).toBe(true);
          const { meta: _m, ...view } = doc.view;
          const { meta: _n, ...want } = first.view;
          expect(view).toEqual(want);
        }
      }
    }, 8000);
    for (const [i, site] of sites.entries()) {
      // Without agreed cuts shared shadows keep their whole history; local ones hold what was written.
      if (!tuning.agreed)
        for (const thing of THINGS) expect(site.node.store.open(addr(thing)).doc.epoch).toBe(0);
      // Every write accepted anywhere survived every cut, partition and restart.
      const marked = site.node.store.open(addr(MARKS)).doc.view;
      for (const m of marks) expect(marked[m.section][m.key], `${site.name} ${m.key}`).toBe(1);
      const m = models[i] as LocalModel;
      const local = site.node.store.open(addr(LOCAL(i))).doc;
      const { meta: _m, ...view } = local.view;
      expect(view).toEqual(m);
      expect(local.changesSinceBase).toBeLessThanOrEqual(tuning.epochAfterChanges);
      // Every commit folds the deferred updates once `deferUpdates` are waiting.
      expect(local.deferredCount).toBeLessThan(Math.max(1, tuning.deferUpdates));
      // The first write inserts the row; cuts happen on later commits.
      const changes = tuning.deferUpdates === 0;
      if (changes && m.version >= Math.max(2, tuning.epochAfterChanges))
        expect(local.epoch).toBeGreaterThan(0);
      // No other site ever received it.
      for (const other of sites)
        if (other !== site) expect(other.node.store.open(addr(LOCAL(i))).doc.view.version).toBe(0);
    }
  } finally {
    for (const s of sites) {
      if (!s) continue;
      for (const wi of s.links.keys()) cut(wi);
      await Promise.all([...s.links.values()].map((l) => l.shutdown()));
      s.off();
      await s.node.stop();
    }
  }
}

describe("relay convergence (property)", () => {
  it(`converges after random ops, partitions, compactions, local and agreed epoch cuts and restarts (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        topologyArb,
        fc.array(opArb, { minLength: 5, maxLength: 50 }),
        storeArb,
        (topology, ops, tuning) => run(topology, ops, tuning),
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
