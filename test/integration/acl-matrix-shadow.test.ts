import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../shared/acl.ts";
import { fence, grantOf, renderTable, shadowRequest, startSecureNode } from "../helpers/acl-clients.ts";
import { ACTORS, type Cast, castOf } from "../helpers/acl-roles.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * ACL matrix, shadow operations over MQTT: who may get, update (desired / reported) and delete whose
 * shadow. Refusals are 403 on the request's `/rejected` topic; a requester that may not subscribe there
 * (a device asking about another thing) still gets it, sent to its connection only. Grants: device
 * dev-1; bridge `pdu-*,ups-?`; operator `pdu-*`; viewer and site unscoped.
 */

const desired = { state: { desired: { power: "on" } } };
const reported = { state: { reported: { power: "on" } } };
const both = { state: { desired: { power: "off" }, reported: { power: "off" } } };

type Op = "get" | "update" | "delete";
// actor, op, topic prefix (root/things/thing[/shadow/name/n]), body, expected: accepted | 403
const MATRIX: [string, Op, string, Record<string, unknown>, "accepted" | 403][] = [
  ["device", "update", "$aws/things/dev-1", reported, "accepted"],
  ["device", "update", "$umbra/things/dev-1", desired, "accepted"], // AWS allows it: documented
  ["device", "get", "$aws/things/dev-1", {}, "accepted"],
  ["device", "update", "$umbra/things/dev-1/shadow/name/cfg", reported, "accepted"],
  ["device", "delete", "$aws/things/dev-1/shadow/name/cfg", {}, "accepted"],
  ["device", "update", "$aws/things/rack-9", reported, 403],
  ["device", "update", "$umbra/things/rack-9", desired, 403],
  ["device", "get", "$umbra/things/rack-9", {}, 403],
  ["device", "delete", "$aws/things/rack-9", {}, 403],
  ["device", "update", "$aws/things/rack-9/shadow/name/cfg", reported, 403],
  ["bridge", "update", "$aws/things/pdu-7", reported, "accepted"],
  ["bridge", "update", "$umbra/things/ups-1", reported, "accepted"],
  ["bridge", "get", "$aws/things/ups-1", {}, "accepted"],
  ["bridge", "update", "$aws/things/ups-12", reported, 403],
  ["bridge", "update", "$aws/things/rack-9", reported, 403],
  ["bridge", "get", "$umbra/things/rack-9", {}, 403],
  ["operator", "update", "$aws/things/pdu-7", desired, "accepted"],
  ["operator", "update", "$umbra/things/pdu-7/shadow/name/cfg", desired, "accepted"],
  ["operator", "update", "$aws/things/rack-9", desired, 403],
  ["operator", "update", "$aws/things/pdu-7", reported, 403],
  ["operator", "update", "$umbra/things/pdu-7", both, 403],
  ["operator", "get", "$aws/things/rack-9", {}, "accepted"],
  ["operator", "get", "$umbra/things/dev-1", {}, "accepted"],
  ["operator", "delete", "$aws/things/rack-9", {}, 403],
  ["operator", "delete", "$umbra/things/pdu-del", {}, "accepted"],
  ["viewer", "get", "$aws/things/pdu-7", {}, "accepted"],
  ["viewer", "get", "$umbra/things/rack-9", {}, "accepted"],
  ["viewer", "update", "$aws/things/pdu-7", desired, 403],
  ["viewer", "update", "$umbra/things/rack-9", reported, 403],
  ["viewer", "delete", "$aws/things/pdu-7", {}, 403],
  ["site", "get", "$umbra/things/pdu-7", {}, 403],
  ["site", "update", "$aws/things/pdu-7", reported, 403],
];

const nameOf = (label: string) => ACTORS.find((a) => a.label === label)?.name ?? label;

/** `$aws/things/x[/shadow/name/n]` + op → the request topic. */
function requestTopic(prefix: string, op: Op): string {
  return prefix.includes("/shadow/") ? `${prefix}/${op}` : `${prefix}/shadow/${op}`;
}

describe("ACL matrix: shadow operations", () => {
  let node: TestNode;
  let cast: Cast;
  const rack9 = { state: { desired: { mode: "a" }, reported: { mode: "b" } } };
  beforeAll(async () => {
    node = await startSecureNode();
    cast = await castOf(node);
    const seed = async (thing: string, shadow = "") => {
      const r = await node.service.update({ thing, shadow }, JSON.stringify(rack9), ANONYMOUS);
      expect(r.ok, thing).toBe(true);
    };
    for (const t of ["rack-9", "pdu-7", "pdu-del", "ups-1", "ups-12", "dev-1"]) await seed(t);
    await seed("rack-9", "cfg");
    const op = cast.client("watch-op");
    for (const f of ["$aws/things/#", "$umbra/things/#", "fence/op"]) expect(await grantOf(op, f, 0)).toBe(0);
  });
  afterAll(async () => {
    await cast?.end();
    await node?.stop();
  });

  it("accepts or refuses (403) each operation per role, and always tells the requester", async () => {
    const rows: string[][] = [];
    const wrong: string[] = [];
    const tokensOnlyForRequester: string[] = [];
    for (const [label, op, prefix, body, expected] of MATRIX) {
      const name = nameOf(label);
      const topic = requestTopic(prefix, op);
      const reply = await shadowRequest(cast.client(name), cast.recorder(name), topic, body);
      const got = reply.outcome === "accepted" ? "accepted" : (reply.code ?? reply.outcome);
      const ok = got === expected;
      if (!ok) wrong.push(`${label} ${op} ${topic} ${JSON.stringify(body)}: ${got}`);
      if (!reply.subscribed) tokensOnlyForRequester.push(reply.body.clientToken as string);
      rows.push([
        label,
        op,
        topic,
        JSON.stringify(body).slice(0, 40),
        String(expected),
        `${ok ? "" : "!! "}${got}${reply.subscribed ? "" : " (direct)"}`,
      ]);
    }
    const table = renderTable(["role", "op", "request topic", "body", "expected", "got"], rows);
    expect(wrong, `shadow matrix mismatches:\n${table}`).toEqual([]);

    // Every requester that could not subscribe was refused (403), and only it saw the reply.
    expect(tokensOnlyForRequester.length).toBeGreaterThan(0);
    await fence(cast.client("watch-op"), cast.recorder("watch-op"), "fence/op");
    const seenByObserver = cast
      .recorder("watch-op")
      .messages.filter((m) => tokensOnlyForRequester.some((t) => m.payload.includes(t)));
    expect(seenByObserver).toEqual([]);

    // Refused writes left no trace.
    for (const shadow of ["", "cfg"]) {
      const r = await node.service.get({ thing: "rack-9", shadow }, "", ANONYMOUS);
      expect(r.ok && r.body.state, `rack-9/${shadow}`).toEqual({
        desired: { mode: "a" },
        reported: { mode: "b" },
        delta: { mode: "a" },
      });
    }
    const ups12 = await node.service.get({ thing: "ups-12", shadow: "" }, "", ANONYMOUS);
    expect(ups12.ok && ups12.body.version).toBe(1);
  });
});
