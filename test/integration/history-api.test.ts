import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * The history API and `umbra shadow history|at|diff|blame` against a real node (bearer tokens on,
 * checkpoints every 4 records, retention small enough to see it work).
 */
describe("shadow history over HTTP and the CLI", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  const versions: number[] = [];
  let afterFirstDesired = "";

  /** GET as the viewer, as another token, or with none (null). */
  const call = async (path: string, token: string | null | undefined = tokens.viewer) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      headers: token === null || token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = async (thing: string, body: unknown, token: string | undefined) => {
    const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    const out = (await res.json()) as { version: number };
    expect(res.status).toBe(200);
    versions.push(out.version);
    return out;
  };
  const cli = (...args: string[]) =>
    runUmbra(["shadow", ...args, "--url", node.httpUrl, "--token", tokens.viewer as string], {
      timeoutMs: 30_000,
    });

  beforeAll(async () => {
    node = await startTestNode({
      allowAnonymous: false,
      historyCheckpointEvery: 4,
      historyReportedMax: 1_000_000,
      historyPruneIntervalMs: 3_600_000,
    });
    const id = node.identities;
    tokens.viewer = id.createToken("watcher", "viewer", "*").token;
    tokens.operator = id.createToken("alice", "operator", "*").token;
    tokens.bridge = id.createToken("pdu-bridge", "bridge", "pdu-*").token;
    tokens.other = id.createToken("other-bridge", "bridge", "ups-*").token;
    await post("pdu-1", { state: { desired: { outlet1: "on" } }, clientToken: "op-1" }, tokens.operator);
    afterFirstDesired = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 10; i++) {
      await post("pdu-1", { state: { reported: { power: { w: 200 + i }, outlet1: "on" } } }, tokens.bridge);
    }
    await post("pdu-1", { state: { desired: { outlet1: "off" } }, clientToken: "op-2" }, tokens.operator);
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
  });

  it("lists changes newest first, with identity, site, clientToken and leaves, and pages with a cursor", async () => {
    const first = await call("/things/pdu-1/shadow/history?limit=5");
    expect(first.status).toBe(200);
    const records = first.body.records as Record<string, unknown>[];
    expect(records.map((r) => r.version)).toEqual([12, 11, 10, 9, 8]);
    expect(records[0]).toMatchObject({
      kind: "update",
      site: "test",
      identity: { name: "alice", role: "operator" },
      clientToken: "op-2",
      desired: [{ op: "set", path: ["outlet1"], value: "off" }],
    });
    expect(records[1]).toMatchObject({
      identity: { name: "pdu-bridge", role: "bridge" },
      reported: [{ op: "set", path: ["power", "w"], value: 209 }],
    });
    const next = await call(`/things/pdu-1/shadow/history?limit=5&cursor=${first.body.nextCursor}`);
    expect((next.body.records as { version: number }[]).map((r) => r.version)).toEqual([7, 6, 5, 4, 3]);
    const asc = await call("/things/pdu-1/shadow/history?order=asc&from=2&to=4");
    expect((asc.body.records as { version: number }[]).map((r) => r.version)).toEqual([2, 3, 4]);
    const byTime = await call(`/things/pdu-1/shadow/history?to=${encodeURIComponent(afterFirstDesired)}`);
    expect((byTime.body.records as { version: number }[]).map((r) => r.version)).toEqual([1]);
  });

  it("serves the shadow as it was at a version or a time, like a get document", async () => {
    const at = await call("/things/pdu-1/shadow?at=6");
    expect(at.status).toBe(200);
    expect(at.body).toMatchObject({
      state: { desired: { outlet1: "on" }, reported: { power: { w: 204 }, outlet1: "on" } },
      metadata: { reported: { power: { w: { timestamp: expect.any(Number) } } } },
      version: 6,
    });
    expect((at.body.state as Record<string, unknown>).delta).toBeUndefined();
    const atTime = await call(`/things/pdu-1/shadow?at=${encodeURIComponent(afterFirstDesired)}`);
    expect(atTime.body).toMatchObject({ version: 1, state: { desired: { outlet1: "on" } } });
    // Without ?at the route is the ordinary get.
    expect((await call("/things/pdu-1/shadow")).body.version).toBe(12);
  });

  it("diffs two versions leaf by leaf and blames every leaf", async () => {
    const diff = await call("/things/pdu-1/shadow/diff?from=1&to=12");
    expect(diff.body).toMatchObject({
      from: { version: 1 },
      to: { version: 12 },
      desired: [{ path: ["outlet1"], before: "on", after: "off" }],
      reported: [
        { path: ["outlet1"], after: "on" },
        { path: ["power", "w"], after: 209 },
      ],
    });
    const blame = await call("/things/pdu-1/shadow/blame");
    expect(blame.body.desired).toEqual([
      {
        path: ["outlet1"],
        value: "off",
        change: expect.objectContaining({
          version: 12,
          identity: { name: "alice", role: "operator" },
          clientToken: "op-2",
          site: "test",
        }),
      },
    ]);
    const reported = blame.body.reported as { path: string[]; change: { version: number } }[];
    // outlet1 was reported once (version 2) and repeated unchanged after: blame names version 2.
    expect(reported.map((l) => [l.path.join("."), l.change.version])).toEqual([
      ["outlet1", 2],
      ["power.w", 11],
    ]);
  });

  it("answers bad parameters with 400 and unknown things or versions with 404", async () => {
    const cases: [string, number, RegExp][] = [
      ["/things/pdu-1/shadow/history?from=9&to=3", 400, /after to/],
      ["/things/pdu-1/shadow/history?limit=0", 400, /limit/],
      ["/things/pdu-1/shadow/history?from=yesterday", 400, /from must be a version/],
      ["/things/pdu-1/shadow/diff?from=3", 400, /to is required/],
      ["/things/pdu-1/shadow/diff?from=9&to=3", 400, /after to/],
      ["/things/pdu-1/shadow?at=soon", 400, /at must be a version/],
      ["/things/pdu-1/shadow?at=99", 404, /Version 99 does not exist: 'pdu-1' is at version 12/],
      ["/things/pdu-1/shadow?at=2001-01-01T00:00:00Z", 404, /older than the record/],
      ["/things/pdu-9/shadow/history", 404, /No history is recorded for 'pdu-9'/],
      ["/things/pdu-1/shadow/blame?name=nope", 404, /No history/],
      ["/things/bad%20name/shadow/history", 400, /Invalid thing name/],
    ];
    for (const [path, status, message] of cases) {
      const r = await call(path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body.message).toMatch(message);
    }
  });

  it("uses the same auth as the shadow routes: 401 without a token, 403 outside a grant, viewers read", async () => {
    expect((await call("/things/pdu-1/shadow/history", null)).status).toBe(401);
    expect((await call("/things/pdu-1/shadow/blame", tokens.other)).status).toBe(403);
    expect((await call("/things/pdu-1/shadow?at=3", tokens.other)).status).toBe(403);
    expect((await call("/things/pdu-1/shadow/diff?from=1&to=2", tokens.bridge)).status).toBe(200);
  });

  it("umbra shadow history|at|diff|blame print tables, --json, and fail clearly", async () => {
    const history = await cli("history", "pdu-1", "--limit", "3");
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^VERSION\s+TIME \(UTC\)\s+KIND\s+SITE\s+IDENTITY\s+TOKEN\s+CHANGES/);
    expect(history.stdout).toMatch(
      /12\s+\S+ \S+\s+update\s+test\s+alice \(operator\)\s+op-2\s+desired.outlet1=off/,
    );
    expect(history.stdout).toContain("(more: --cursor 10)");
    const json = await cli("history", "pdu-1", "--since", "1h", "--limit", "2", "--json");
    expect(
      (JSON.parse(json.stdout) as { records: { version: number }[] }).records.map((r) => r.version),
    ).toEqual([12, 11]);
    const at = await cli("at", "pdu-1", "3");
    expect(JSON.parse(at.stdout)).toMatchObject({ version: 3, state: { reported: { power: { w: 201 } } } });
    const diff = await cli("diff", "pdu-1", "2", "5");
    expect(diff.stdout).toMatch(/reported\.power\.w\s+200\s+203/);
    const blame = await cli("blame", "pdu-1");
    expect(blame.stdout).toMatch(/desired\.outlet1\s+off\s+12\s+.*alice \(operator\)\s+op-2/);
    const bad = await cli("diff", "pdu-1", "5", "2");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/after to/);
    const missing = await cli("at", "pdu-1", "400");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  }, 120_000);
});

describe("history retention on a running node", () => {
  let node: TestNode;
  afterAll(async () => {
    await node?.stop();
  });

  it("prunes on its timer with the configured tiny limits, in small ticks, and says so", async () => {
    node = await startTestNode({
      historyCheckpointEvery: 4,
      historyReportedMax: 6,
      historyPruneIntervalMs: 50,
      historyPruneBatch: 4,
    });
    const post = async (body: unknown) => {
      const res = await fetch(`${node.httpUrl}/things/pdu-2/shadow`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
    };
    const call = async (path: string) => {
      const res = await fetch(`${node.httpUrl}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    for (let i = 0; i < 12; i++) await post({ state: { reported: { w: i } } });
    await post({ state: { desired: { mode: "eco" } }, clientToken: "eco" });
    for (let i = 0; i < 12; i++) await post({ state: { reported: { w: 100 + i } } });
    let h = { version: 0, pruned: false };
    let kept: number[] = [];
    await eventually(async () => {
      const page = await call("/things/pdu-2/shadow/history?order=asc&limit=100");
      h = page.body.horizon as typeof h;
      kept = (page.body.records as { version: number }[]).map((r) => r.version);
      expect(h.pruned).toBe(true);
      // 25 records, checkpoints at 1, 5, …, 25: the first one leaving at most 6 is 21.
      expect(h.version).toBe(21);
      // Below the horizon only the desired change is left (the rest was deleted, 4 rows a tick).
      expect(kept).toEqual([13, 21, 22, 23, 24, 25]);
    }, 15_000);
    const old = await call("/things/pdu-2/shadow?at=5");
    expect(old.status).toBe(404);
    expect(old.body.message).toMatch(
      /Version 5 was pruned by retention: the record of 'pdu-2' is kept from version 21/,
    );
    expect((await call("/things/pdu-2/shadow?at=21")).body).toMatchObject({
      version: 21,
      state: { reported: { w: 107 } },
    });
    const blame = await call("/things/pdu-2/shadow/blame");
    expect(blame.body.desired).toEqual([
      { path: ["mode"], value: "eco", change: expect.objectContaining({ version: 13, clientToken: "eco" }) },
    ]);
  }, 60_000);
});

describe("history switched off", () => {
  it("writes no record and says the history routes are off", async () => {
    const node = await startTestNode({ historyEnabled: false });
    try {
      const res = await fetch(`${node.httpUrl}/things/pdu-3/shadow`, {
        method: "POST",
        body: JSON.stringify({ state: { reported: { w: 1 } } }),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
      for (const path of [
        "/things/pdu-3/shadow/history",
        "/things/pdu-3/shadow?at=1",
        "/things/pdu-3/shadow/blame",
      ]) {
        const r = await fetch(`${node.httpUrl}${path}`);
        expect([path, r.status]).toEqual([path, 404]);
        expect(((await r.json()) as { message: string }).message).toMatch(/history is disabled/);
      }
      expect((await fetch(`${node.httpUrl}/things/pdu-3/shadow`)).status).toBe(200);
      const ext = node.extensions.get("history") as { store?: unknown };
      expect(ext.store).toBeUndefined();
      expect(node.store.journal).toBeUndefined();
    } finally {
      await node.stop();
    }
  });
});
