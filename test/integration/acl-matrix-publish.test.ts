import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fence, grantOf, renderTable, startSecureNode } from "../helpers/acl-clients.ts";
import { ACTORS, type Cast, castOf, OTHER } from "../helpers/acl-roles.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * ACL matrix, publishes: every role × every topic class. MQTT 3.1.1 has no negative PUBACK, so every
 * QoS 1 publish must be acknowledged and the client must stay connected; what differs is whether the
 * message reaches a subscriber. Observers: an unscoped operator subscribed to `#`, to both shadow roots,
 * to `$SYS/#` and to every exact topic below, and a site subscribed to its own `$umbra/relay/watch-site/#`.
 */

// topic                                          device bridge operator viewer site   (Y = delivered)
const MATRIX: [string, string][] = [
  ["$aws/things/{own}/shadow/get", "Y Y Y Y -"],
  ["$umbra/things/{own}/shadow/name/cfg/get", "Y Y Y Y -"],
  ["$aws/things/{own}/shadow/update", "Y Y Y - -"],
  ["$umbra/things/{own}/shadow/delete", "Y Y Y - -"],
  // Node-owned topics: a forged reply or presence is never forwarded, whoever sends it.
  ["$aws/things/{own}/shadow/update/accepted", "- - - - -"],
  ["$umbra/things/{own}/shadow/get/rejected", "- - - - -"],
  ["$umbra/things/{own}/presence", "- - - - -"],
  ["things/{own}/telemetry", "Y Y - - -"],
  ["things/{own}/shadow/x", "Y Y Y - -"],
  ["$aws/things/{other}/shadow/get", "- - Y Y -"],
  // The operator is not granted {other}: its update is answered 403 and, being refused, reaches no
  // other subscriber of the request topic (issue 17: the device watching its `…/shadow/#` saw it).
  ["$umbra/things/{other}/shadow/name/cfg/update", "- - - - -"],
  ["things/{other}/telemetry", "- - - - -"],
  ["$aws/things/ups-1/shadow/get", "- Y Y Y -"],
  ["things/ups-1/telemetry", "- Y - - -"],
  ["plant/a/b", "- - Y - -"],
  // A site may publish only under its own name, and only that site can observe it: nobody here.
  ["$umbra/relay/x", "- - - - -"],
  ["$SYS/x", "- - - - -"],
  ["$umbra/denied", "- - - - -"],
];

const EXACT_TOPICS = (own: string) => MATRIX.map(([t]) => t.replace("{own}", own).replace("{other}", OTHER));

interface Outcome {
  row: number;
  actor: string;
  topic: string;
  payload: string;
  expected: boolean;
  acked: boolean;
  delivered: boolean;
  connected: boolean;
}

/** QoS 1 publish; false when no PUBACK came within the bound (e.g. the node dropped the client). */
async function acked(client: MqttClient, topic: string, payload: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 2000);
  });
  const ack = client.publishAsync(topic, payload, { qos: 1 }).then(
    () => true,
    () => false,
  );
  const result = await Promise.race([ack, timeout]);
  clearTimeout(timer);
  return result;
}

describe("ACL matrix: publish", () => {
  let node: TestNode;
  let cast: Cast;
  beforeAll(async () => {
    node = await startSecureNode();
    cast = await castOf(node);
    const op = cast.client("watch-op");
    for (const f of ["#", "$aws/things/#", "$umbra/things/#", "$SYS/#", "fence/op"])
      expect(await grantOf(op, f, 0), f).toBe(0);
    for (const own of new Set(ACTORS.map((a) => a.own)))
      for (const t of EXACT_TOPICS(own)) await grantOf(op, t, 0); // relay, sink: refused (0x80)
    expect(await grantOf(cast.client("watch-site"), "$umbra/relay/watch-site/#", 0)).toBe(0);
  });
  afterAll(async () => {
    await cast?.end();
    await node?.stop();
  });

  it("acknowledges every publish and delivers only the allowed ones", async () => {
    const outcomes: Outcome[] = [];
    for (const [row, [template, cells]] of MATRIX.entries()) {
      const expected = cells.split(" ");
      for (const [i, actor] of ACTORS.entries()) {
        const topic = template.replace("{own}", actor.own).replace("{other}", OTHER);
        const payload = `probe-${row}-${actor.label}`;
        const client = cast.client(actor.name);
        const ok = client.connected && (await acked(client, topic, payload));
        outcomes.push({
          row,
          actor: actor.label,
          topic,
          payload,
          expected: expected[i] === "Y",
          acked: ok,
          delivered: false,
          connected: client.connected,
        });
      }
    }
    await fence(cast.client("watch-op"), cast.recorder("watch-op"), "fence/op");
    await fence(cast.client("watch-site"), cast.recorder("watch-site"), "$umbra/relay/watch-site/fence");
    const observers = [cast.recorder("watch-op"), cast.recorder("watch-site")];
    for (const o of outcomes) o.delivered = observers.some((r) => r.has(o.topic, o.payload));

    const wrong = outcomes.filter((o) => o.delivered !== o.expected || !o.acked || !o.connected);
    const table = renderTable(
      ["topic (own for device/others)", ...ACTORS.map((a) => a.label)],
      MATRIX.map(([template], r) => [
        template,
        ...outcomes
          .filter((o) => o.row === r)
          .map((o) => {
            const got = `${o.delivered ? "Y" : "-"}${o.acked ? "" : " no-ack"}${o.connected ? "" : " dropped"}`;
            return o.delivered === o.expected && o.acked && o.connected
              ? got
              : `${got} (want ${o.expected ? "Y" : "-"})`;
          }),
      ]),
    );
    expect(
      wrong.map((o) => `${o.actor} ${o.topic}`),
      `publish matrix mismatches:\n${table}`,
    ).toEqual([]);
  });

  it("never lets anyone receive the sink of denied publishes", async () => {
    const op = cast.client("watch-op");
    for (const f of ["$umbra/denied", "$umbra/denied/#", "$umbra/#", "$umbra/+"])
      expect(await grantOf(op, f, 0), f).toBe(128);
    const device = cast.client("dev-1");
    await device.publishAsync("plant/forbidden", "leak?", { qos: 1 });
    await fence(op, cast.recorder("watch-op"), "fence/op");
    const leaked = [...cast.recorders.values()].flatMap((r) =>
      r.messages.filter((m) => m.topic.startsWith("$umbra/denied") || m.payload === "leak?"),
    );
    expect(leaked).toEqual([]);
  });
});
