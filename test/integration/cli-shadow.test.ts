import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { httpShadow, type Json, withoutTimestamps } from "../helpers/shadow-http.ts";
import { runUmbra, UmbraLines } from "../helpers/umbra-cli.ts";

/** A loopback port with nothing listening on it: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("umbra shadow (CLI against a running node)", () => {
  let node: TestNode;
  let url: string[];
  beforeAll(async () => {
    node = await startTestNode();
    url = ["--url", node.httpUrl];
  });
  afterAll(async () => {
    await node?.stop();
  });

  const shadow = (args: string[], stdin?: string) => runUmbra(["shadow", ...args, ...url], { stdin });
  const json = (text: string) => JSON.parse(text) as Json;

  it("updates, gets and deletes a shadow, printing the JSON documents", async () => {
    const updated = await shadow([
      "update",
      "cli-1",
      '{"state":{"desired":{"outlet1":"off"}},"clientToken":"cli"}',
    ]);
    expect(updated).toMatchObject({ code: 0, stderr: "" });
    expect(json(updated.stdout)).toMatchObject({
      state: { desired: { outlet1: "off" } },
      version: 1,
      clientToken: "cli",
    });

    const got = await shadow(["get", "cli-1"]);
    expect(got).toMatchObject({ code: 0, stderr: "" });
    // The CLI prints exactly what the HTTP API returns.
    const viaHttp = await httpShadow(node.httpUrl, "cli-1", { op: "get" });
    expect(withoutTimestamps(json(got.stdout))).toEqual(withoutTimestamps(viaHttp.body));
    expect(json(got.stdout)).toMatchObject({
      state: { desired: { outlet1: "off" }, delta: { outlet1: "off" } },
      version: 1,
    });

    const deleted = await shadow(["delete", "cli-1"]);
    expect(deleted).toMatchObject({ code: 0, stderr: "" });
    expect(json(deleted.stdout)).toEqual({ version: 2, timestamp: expect.any(Number) });
    expect((await httpShadow(node.httpUrl, "cli-1", { op: "get" })).code).toBe(404);
  });

  it("exits non-zero with the error document on stderr", async () => {
    const [missing, badJson, deleteMissing] = await Promise.all([
      shadow(["get", "cli-missing"]),
      shadow(["update", "cli-2", '{"state":']),
      shadow(["delete", "cli-missing"]),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe("");
    expect(json(missing.stderr)).toMatchObject({
      code: 404,
      message: "No shadow exists with name: 'cli-missing'",
    });
    expect(badJson.code).not.toBe(0);
    expect(json(badJson.stderr)).toMatchObject({ code: 400, message: "Payload contains invalid json" });
    expect(deleteMissing.code).not.toBe(0);
    expect(json(deleteMissing.stderr)).toMatchObject({ code: 404 });
  });

  it("reads the update request from stdin with -", async () => {
    const request = JSON.stringify({ state: { reported: { temp: 21.5, fans: [1, 2] } } });
    const result = await shadow(["update", "cli-3", "-"], `${request}\n`);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(json(result.stdout)).toMatchObject({
      state: { reported: { temp: 21.5, fans: [1, 2] } },
      version: 1,
    });
    const doc = await httpShadow(node.httpUrl, "cli-3", { op: "get" });
    expect(doc.body).toMatchObject({ state: { reported: { temp: 21.5, fans: [1, 2] } } });
  });

  it("addresses a named shadow with --name / -n", async () => {
    const long = await shadow(["update", "cli-4", '{"state":{"desired":{"x":1}}}', "--name", "psu"]);
    expect(long.code).toBe(0);
    const [short, classic] = await Promise.all([
      shadow(["get", "cli-4", "-n", "psu"]),
      shadow(["get", "cli-4"]),
    ]);
    expect(json(short.stdout)).toMatchObject({ state: { desired: { x: 1 } }, version: 1 });
    expect(json(classic.stderr)).toMatchObject({ code: 404 });
  });

  it("lists things and a thing's shadows, and pages with --limit/--cursor", async () => {
    const request = '{"state":{"reported":{"up":true}}}';
    for (const [thing, name] of [
      ["list-a", undefined],
      ["list-b", undefined],
      ["list-b", "side"],
    ] as const) {
      expect((await httpShadow(node.httpUrl, thing, { op: "update", name, body: request })).code).toBe(200);
    }
    const [all, one, first, second] = await Promise.all([
      shadow(["list"]),
      shadow(["list", "list-b"]),
      shadow(["list", "--limit", "1", "--cursor", "list-"]),
      shadow(["list", "--limit", "1", "--cursor", "list-a"]),
    ]);
    expect(all.code).toBe(0);
    expect((json(all.stdout).things as string[]).filter((t) => t.startsWith("list-"))).toEqual([
      "list-a",
      "list-b",
    ]);
    expect(json(one.stdout)).toMatchObject({ thing: "list-b", classic: true, results: ["side"] });
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(json(first.stdout)).toEqual({ things: ["list-a"], nextCursor: "list-a" });
    expect(json(second.stdout)).toMatchObject({ things: ["list-b"] });
  });

  it("watch prints the document, then one JSON line per change", async () => {
    expect(
      (
        await httpShadow(node.httpUrl, "cli-w", {
          op: "update",
          body: '{"state":{"desired":{"fan":"auto"}}}',
        })
      ).code,
    ).toBe(200);
    const watch = new UmbraLines(["shadow", "watch", "cli-w", ...url]);
    try {
      const initial = json(await watch.nextLine());
      expect(initial).toMatchObject({ event: "shadow", state: { desired: { fan: "auto" } }, version: 1 });

      const update = await shadow(["update", "cli-w", '{"state":{"desired":{"fan":"max"}}}']);
      expect(update.code).toBe(0);
      expect(json(await watch.nextLine())).toMatchObject({
        event: "shadow",
        state: { desired: { fan: "max" } },
        version: 2,
      });

      const report = await httpShadow(node.httpUrl, "cli-w", {
        op: "update",
        body: '{"state":{"reported":{"fan":"max"}}}',
      });
      expect(report.code).toBe(200);
      const synced = json(await watch.nextLine());
      expect(synced).toMatchObject({
        event: "shadow",
        state: { desired: { fan: "max" }, reported: { fan: "max" } },
        version: 3,
      });
      expect((synced.state as Json).delta).toBeUndefined();

      expect((await httpShadow(node.httpUrl, "cli-w", { op: "delete" })).code).toBe(200);
      expect(json(await watch.nextLine())).toMatchObject({ event: "deleted", version: 4 });
      expect(watch.buffered).toBe(0);
    } finally {
      await watch.kill();
    }
  });

  it("watch of a shadow that does not exist yet waits for its first update", async () => {
    const watch = new UmbraLines(["shadow", "watch", "cli-new", ...url]);
    try {
      // The stream must be open before the update, or the update is not a change the watcher sees.
      const baseline = node.service.listenerCount("change");
      for (let i = 0; i < 200 && node.service.listenerCount("change") === baseline; i++) await sleep(25);
      expect(
        (await httpShadow(node.httpUrl, "cli-new", { op: "update", body: '{"state":{"reported":{"v":1}}}' }))
          .code,
      ).toBe(200);
      expect(json(await watch.nextLine())).toMatchObject({
        event: "shadow",
        state: { reported: { v: 1 } },
        version: 1,
      });
      // Said once, on stderr (stdout stays one JSON line per event).
      expect(watch.stderr).toContain("umbra: cli-new has no shadow yet; waiting for its first update");
    } finally {
      await watch.kill();
    }
  });

  it("fails clearly, with a non-zero exit, when the node cannot be reached", async () => {
    const port = await closedPort();
    const dead = `http://127.0.0.1:${port}`;
    const results = await Promise.all([
      runUmbra(["shadow", "get", "x", "--url", dead]),
      runUmbra(["shadow", "update", "x", '{"state":{"desired":{"a":1}}}', "--url", dead]),
      runUmbra(["shadow", "list", "--url", dead]),
      runUmbra(["shadow", "watch", "x", "--url", dead]),
    ]);
    for (const r of results) {
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      // The reason, not just fetch's "fetch failed".
      expect(r.stderr).toBe(
        `umbra: cannot reach http://127.0.0.1:${port}: ECONNREFUSED (is the node running? --url or UMBRA_URL)\n`,
      );
    }
  });

  it("rejects a malformed node URL as a usage error, without a stack trace", async () => {
    const [flag, env] = await Promise.all([
      runUmbra(["shadow", "get", "x", "--url", "not a url"]),
      runUmbra(["shadow", "list"], { env: { UMBRA_URL: "ftp://127.0.0.1/" } }),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^umbra: invalid node URL 'not a url' \(--url or UMBRA_URL\)/);
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^umbra: invalid node URL 'ftp:\/\/127\.0\.0\.1\/'/);
    expect(flag.stderr + env.stderr).not.toMatch(/\n\s+at /);
  });

  it("takes the node URL from UMBRA_URL when --url is not given", async () => {
    expect(
      (await httpShadow(node.httpUrl, "cli-env", { op: "update", body: '{"state":{"desired":{"a":1}}}' }))
        .code,
    ).toBe(200);
    const result = await runUmbra(["shadow", "get", "cli-env"], { env: { UMBRA_URL: node.httpUrl } });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(json(result.stdout)).toMatchObject({ state: { desired: { a: 1 } } });
  });
});

describe("umbra help and usage", () => {
  it("prints help for umbra, umbra shadow and a subcommand", async () => {
    const [top, sub, update] = await Promise.all([
      runUmbra(["--help"]),
      runUmbra(["shadow", "--help"]),
      runUmbra(["shadow", "update", "--help"]),
    ]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: umbra/);
    expect(top.stdout).toMatch(/\bbroker\b/);
    expect(top.stdout).toMatch(/\bshadow\b/);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: umbra shadow/);
    for (const command of ["get", "update", "delete", "list", "watch"])
      expect(sub.stdout).toMatch(new RegExp(`\\n\\s+${command}\\b`));
    expect(update.code).toBe(0);
    expect(update.stdout).toContain("--url <url>");
    expect(update.stdout).toContain("umbra shadow update pdu-1");
  });

  it("rejects a missing argument and an unknown command with a usage error", async () => {
    const [missing, unknown] = await Promise.all([
      runUmbra(["shadow", "get"]),
      runUmbra(["shadow", "frobnicate"]),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("missing required argument 'thing'");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
