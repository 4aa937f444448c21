import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

// `umbra things …` and `umbra systems …` against a running node (docs/fleet.md).
describe("umbra things / umbra systems (CLI)", () => {
  let node: TestNode;
  let url: string[];
  beforeAll(async () => {
    node = await startTestNode();
    url = ["--url", node.httpUrl];
    for (const [thing, watts] of [
      ["pdu-a", 120],
      ["pdu-b", 480],
      ["ups-a", 900],
    ] as const) {
      await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
        method: "POST",
        body: JSON.stringify({ state: { reported: { watts } } }),
      });
    }
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  const umbra = (args: string[]) => runUmbra([...args, ...url], { timeoutMs: 60_000 });

  it("sets attributes from key=value pairs and JSON, and reads them back", async () => {
    const set = await umbra([
      "things",
      "attr",
      "set",
      "pdu-a",
      "type=pdu",
      "location.room=r1",
      "location.unit=4",
      "labels.tier=gold",
    ]);
    expect(set).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(set.stdout)).toMatchObject({
      version: 1,
      attributes: { type: "pdu", location: { room: "r1", unit: 4 }, labels: { tier: "gold" } },
    });
    expect(
      (await umbra(["things", "attr", "set", "pdu-b", '{"type":"pdu","location":{"room":"r2"}}'])).code,
    ).toBe(0);
    expect((await umbra(["things", "attr", "set", "ups-a", "type=ups"])).code).toBe(0);
    const bad = await umbra(["things", "attr", "set", "pdu-a", "colour=red"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("unknown attribute 'colour'");
    expect(JSON.parse((await umbra(["things", "attr", "get", "pdu-a"])).stdout)).toMatchObject({
      thing: "pdu-a",
      version: 1,
    });
  });

  it("finds things as a table or JSON, and names the position of a query error", async () => {
    const table = await umbra([
      "things",
      "find",
      "attributes.type:pdu",
      "--fields",
      "attributes.location.room,shadow.reported.watts",
      "--sort",
      "-shadow.reported.watts",
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      [
        "THING  ATTRIBUTES.LOCATION.ROOM  SHADOW.REPORTED.WATTS",
        "pdu-b  r2                        480",
        "pdu-a  r1                        120",
        "",
      ].join("\n"),
    );
    const json = await umbra(["things", "find", "shadow.reported.watts > 400", "--json"]);
    expect(JSON.parse(json.stdout).results.map((r: { thingName: string }) => r.thingName)).toEqual([
      "pdu-b",
      "ups-a",
    ]);
    const bad = await umbra(["things", "find", "attributes.type:pdu OR"]);
    expect(bad).toMatchObject({
      code: 1,
      stderr: "umbra: query error at 22: expected a term, found the end of the query\n",
    });
  });

  it("counts with group-by", async () => {
    const r = await umbra([
      "things",
      "count",
      "",
      "--group-by",
      "attributes.type",
      "--stat",
      "shadow.reported.watts",
    ]);
    expect(r.stdout).toBe(
      ["KEY  COUNT  MIN  MAX  AVG", "pdu  2      120  480  300.00", "ups  1      900  900  900.00", ""].join(
        "\n",
      ),
    );
    expect((await umbra(["things", "count", "attributes.type:pdu"])).stdout).toBe("2\n");
  });

  it("manages systems and prints a roll-up per level", async () => {
    expect((await umbra(["systems", "set", "room-r1", "--query", "attributes.location.room:r1"])).code).toBe(
      0,
    );
    expect(
      (await umbra(["systems", "set", "power", "--systems", "room-r1", "--things", "ups-a,pdu-b"])).code,
    ).toBe(0);
    const cycle = await umbra(["systems", "set", "room-r1", "--systems", "power"]);
    expect(cycle).toMatchObject({ code: 1 });
    expect(cycle.stderr).toContain("cycle: room-r1 → power → room-r1");
    const rollup = await umbra(["systems", "rollup", "power"]);
    expect(rollup.stdout).toBe(
      [
        "SYSTEM     THINGS  CONNECTED  NOT CONVERGED  CONFLICTS  UNREACHABLE",
        "power      3       0          0              0          0",
        "  room-r1  1       0          0              0          0",
        "",
      ].join("\n"),
    );
    expect((await umbra(["systems", "list"])).stdout).toContain(
      "room-r1  0       -        attributes.location.room:r1",
    );
    // Per-system grants.
    expect((await umbra(["systems", "grant", "power", "ops-p"])).code).toBe(0);
    expect(JSON.parse((await umbra(["systems", "operators", "power"])).stdout)).toEqual({
      system: "power",
      operators: ["ops-p"],
    });
    expect((await umbra(["systems", "revoke", "power", "ops-p"])).code).toBe(0);
    expect(JSON.parse((await umbra(["systems", "operators", "power"])).stdout).operators).toEqual([]);
  });
});
