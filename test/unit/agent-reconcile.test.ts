import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../device-agent/agent/config.ts";
import { replacePatch } from "../../device-agent/agent/paths.ts";
import { makeDeltaHandler } from "../../device-agent/agent/reconcile.ts";
import type { JsonObject } from "../../shared/json.ts";
import { tempDir } from "../helpers/node.ts";

const dir = tempDir("umbra-agent-reconcile-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The agent's delta handler over a recording stand-in for the SDK device (real processes and files). */
function setup(reported: JsonObject = {}) {
  const config = parseAgentConfig(
    [
      "handlers:",
      "  ok:",
      "    desired: ok",
      `    file: { path: ${join(dir, "ok.txt")} }`,
      "  bad:",
      "    desired: bad",
      "    command: [/bin/sh, -c, 'exit 5', sh, '{value}']",
      "  strict:",
      "    desired: strict",
      "    value: { type: integer }",
      "    command: [/bin/true, '{value}']",
    ].join("\n"),
  );
  const reports: JsonObject[] = [];
  const device = {
    get reported() {
      return reported;
    },
    async report(patch: JsonObject) {
      reports.push(patch);
    },
  };
  const silent = { info() {}, warn() {}, error() {} };
  const handler = makeDeltaHandler({ handlers: config.handlers, thing: "h", device, log: silent as never });
  return { handler, reports };
}

describe("the agent's delta handler", () => {
  it("returns applied values and each handler's status when everything succeeded", async () => {
    const { handler, reports } = setup();
    const result = await handler({ ok: "a" }, { version: 4, desired: { ok: "a" }, attempt: 1 });
    expect(result).toEqual({
      reported: {
        ok: "a",
        agent: { handlers: { ok: { status: "Applied", message: "", observedVersion: 4 } } },
      },
    });
    expect(readFileSync(join(dir, "ok.txt"), "utf8")).toBe("a");
    expect(reports).toEqual([]); // the SDK reports the returned values
  });

  it("reports successes at once and returns the failures as `cannot` (retry when transient)", async () => {
    const { handler, reports } = setup();
    const desired = { ok: "b", bad: "x", strict: "not a number", extra: 1 };
    const result = await handler(desired, { version: 9, desired, attempt: 1 });
    expect(reports).toEqual([
      {
        ok: "b",
        agent: {
          handlers: {
            ok: { status: "Applied", message: "", observedVersion: 9 },
            bad: { status: "Failed", message: "exited with code 5", observedVersion: 9 },
            strict: {
              status: "Refused",
              message: 'the value must be an integer, got "not a number"',
              observedVersion: 9,
            },
          },
        },
      },
    ]);
    expect(result).toEqual({
      cannot:
        'bad: exited with code 5; strict: the value must be an integer, got "not a number"; no handler for desired extra',
      retry: true,
    });
    // The same failure again: no new status report (retries must not churn the shadow).
    const again = await handler({ bad: "x" }, { version: 10, desired, attempt: 2 });
    expect(again).toEqual({ cannot: "bad: exited with code 5", retry: true });
    expect(reports).toHaveLength(1);
  });

  it("does not retry what cannot get better: refused values, unhandled paths", async () => {
    const { handler } = setup();
    expect(
      await handler({ strict: 1.5 }, { version: 1, desired: { strict: 1.5 }, attempt: 1 }),
    ).toMatchObject({
      retry: false,
    });
    expect(await handler({ nothing: 1 }, { version: 1, desired: { nothing: 1 }, attempt: 1 })).toEqual({
      cannot: "no handler for desired nothing",
      retry: false,
    });
  });

  it("skips a handler whose value is already reported and ignores `$` conventions", async () => {
    const { handler } = setup({ bad: "x" });
    const desired = { bad: "x", $status: { conditions: [] } };
    expect(await handler({ bad: "x", $status: { x: 1 } }, { version: 2, desired, attempt: 3 })).toEqual({
      reported: {},
    });
  });
});

describe("replacePatch", () => {
  it("deletes keys that are gone and keeps the rest", () => {
    const prev = { interfaces: { eth0: { mac: "m" }, veth1: { mac: "x" } }, disks: [1], os: { name: "a" } };
    const next = { interfaces: { eth0: { mac: "m" } }, disks: [2], kernel: "k" };
    expect(replacePatch(prev, next)).toEqual({
      interfaces: { eth0: { mac: "m" }, veth1: null },
      disks: [2],
      kernel: "k",
      os: null,
    });
    expect(replacePatch(undefined, next)).toEqual(next);
  });
});
