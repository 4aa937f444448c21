import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connackOf, grantOf, renderTable, startSecureNode } from "../helpers/acl-clients.ts";
import { ACTORS, type Cast, castOf, OTHER } from "../helpers/acl-roles.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * ACL matrix, subscriptions: every role × every topic class and wildcard filter. An allowed filter is
 * granted QoS 1; a refused one gets SUBACK 0x80 and the client stays connected. `{own}` is the thing
 * the role acts for (a device's own thing, a thing inside a bridge's or operator's grant);
 * `{other}` is a thing outside every grant.
 */

const COLUMNS = ACTORS.map((a) => a.label);

// filter                                                 device bridge operator viewer site
const MATRIX: [string, string][] = [
  ["$aws/things/{own}/shadow/update/accepted", "Y Y Y Y -"],
  ["$umbra/things/{own}/shadow/get/+", "Y Y Y Y -"],
  ["$umbra/things/{own}/#", "Y Y Y Y -"],
  ["$aws/things/{own}/shadow/#", "Y Y Y Y -"],
  ["$aws/things/{own}/shadow/name/cfg/update/delta", "Y Y Y Y -"],
  ["$umbra/things/{own}/shadow/name/+/get/accepted", "Y Y Y Y -"],
  ["$umbra/things/{own}/presence", "Y Y Y Y -"],
  ["things/{own}/telemetry", "Y Y Y Y -"],
  ["things/{own}/#", "Y Y Y Y -"],
  ["$aws/things/{other}/shadow/update/accepted", "- - Y Y -"],
  ["$umbra/things/{other}/shadow/get/rejected", "- - Y Y -"],
  ["$umbra/things/{other}/shadow/name/cfg/get/accepted", "- - Y Y -"],
  ["$umbra/things/{other}/presence", "- - Y Y -"],
  ["things/{other}/telemetry", "- - Y Y -"],
  ["things/ups-1/telemetry", "- Y Y Y -"],
  ["things/ups-12/telemetry", "- - Y Y -"],
  ["plant/a/b", "- - Y Y -"],
  ["#", "- - Y Y -"],
  ["+/things/+/shadow/#", "- - Y Y -"],
  ["$aws/things/+/shadow/update/delta", "- - Y Y -"],
  ["$umbra/things/+/presence", "- - Y Y -"],
  ["things/+/telemetry", "- - Y Y -"],
  ["$umbra/things/#", "- - Y Y -"],
  ["$umbra/things//shadow/get/accepted", "- - Y Y -"],
  // Could match the relay (site-only) and the sink of denied publishes: nobody but... nobody.
  ["$umbra/#", "- - - - -"],
  ["$umbra/+/x", "- - - - -"],
  // A site only under its own name (site-b is the site actor).
  ["$umbra/relay/x", "- - - - -"],
  ["$umbra/relay/#", "- - - - -"],
  ["$umbra/relay/site-b/down", "- - - - Y"],
  ["$umbra/denied", "- - - - -"],
  ["$SYS/#", "- - Y Y -"],
];

interface Outcome {
  filter: string;
  actor: string;
  expected: number;
  granted: number;
}

describe("ACL matrix: subscribe", () => {
  let node: TestNode;
  let cast: Cast;
  beforeAll(async () => {
    node = await startSecureNode();
    cast = await castOf(node);
  });
  afterAll(async () => {
    await cast?.end();
    await node?.stop();
  });

  it("grants or refuses (0x80) every filter per role, and every client stays connected", async () => {
    const outcomes: Outcome[] = [];
    for (const [template, row] of MATRIX) {
      const cells = row.split(" ");
      expect(cells, template).toHaveLength(ACTORS.length);
      for (const [i, actor] of ACTORS.entries()) {
        const filter = template.replace("{own}", actor.own).replace("{other}", OTHER);
        const granted = await grantOf(cast.client(actor.name), filter);
        outcomes.push({
          filter,
          actor: actor.label,
          expected: cells[i] === "Y" ? 1 : 128,
          granted,
        });
      }
    }
    const wrong = outcomes.filter((o) => o.expected !== o.granted);
    const table = renderTable(
      ["filter (own for device/others)", ...COLUMNS],
      MATRIX.map(([template], r) => [
        template,
        ...ACTORS.map((_, c) => {
          const o = outcomes[r * ACTORS.length + c] as Outcome;
          const mark = (q: number) => (q === 128 ? "0x80" : `qos${q}`);
          return o.expected === o.granted ? mark(o.granted) : `${mark(o.granted)}!=${mark(o.expected)}`;
        }),
      ]),
    );
    expect(wrong, `subscribe matrix mismatches:\n${table}`).toEqual([]);
    // A refused subscription does not cost the connection: each client can still subscribe.
    for (const actor of ACTORS) {
      const c = cast.client(actor.name);
      expect(c.connected, actor.label).toBe(true);
      const allowed =
        actor.role === "site" ? `$umbra/relay/${actor.name}/still-here` : `things/${actor.own}/still-here`;
      expect(await grantOf(c, allowed, 0), actor.label).toBe(0);
    }
  });
});

describe("ACL matrix: connect", () => {
  let node: TestNode;
  let password: string;
  beforeAll(async () => {
    node = await startSecureNode();
    password = node.identities.add("dev-conn", "device", "dev-conn");
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("refuses anonymous clients with CONNACK 5 and wrong passwords with CONNACK 4", async () => {
    expect((await connackOf(node.mqttUrl, { clientId: "anon-1" })).code).toBe(5);
    expect((await connackOf(node.mqttUrl, { username: "dev-conn", password: "nope" })).code).toBe(4);
    expect((await connackOf(node.mqttUrl, { username: "nobody", password })).code).toBe(4);
    const ok = await connackOf(node.mqttUrl, { username: "dev-conn", password });
    expect(ok.code).toBe(0);
    await ok.client?.endAsync();
  });
});
