import { describe, expect, it } from "vitest";
import {
  expectAccepted,
  nowSeconds,
  type ShadowProbe,
  shadowBase,
  useProbeNode,
} from "../helpers/shadow-probe.ts";

const presence = (thing: string) => `$umbra/things/${thing}/presence`;

/** Presence of things (client id = thing name), and the node's ownership of presence and reply topics. */
describe("presence and node-owned topics over MQTT", () => {
  const ctx = useProbeNode();
  const { pool } = ctx;

  /** A fresh subscriber's view of the retained presence of `thing` (after a round trip, so none is missed). */
  async function retainedPresence(thing: string): Promise<ShadowProbe> {
    const p = await pool.connect();
    await p.subscribe(presence(thing));
    await p.watch(thing);
    await p.request(shadowBase(thing), "get");
    return p;
  }

  it("announces connect and disconnect as retained presence, and reports it on get", async () => {
    const thing = "pr-device-1";
    const observer = await pool.connect();
    await observer.subscribe(presence(thing));
    const t0 = nowSeconds();
    const device = await pool.connect({ clientId: thing });
    const up = await observer.waitFor((m) => m.topic === presence(thing), "presence up");
    expect(up.body).toEqual({ connected: true, since: expect.any(Number), site: "test" });
    expect(up.body?.since).toBeGreaterThanOrEqual(t0);

    const late = await retainedPresence(thing);
    const retained = late.received((m) => m.topic === presence(thing));
    expect(retained).toHaveLength(1);
    expect(retained[0]?.retain).toBe(true);
    expect(retained[0]?.body).toMatchObject({ connected: true, site: "test" });

    await device.watch(thing);
    await device.request(shadowBase(thing), "update", { state: { reported: { up: true } } });
    const doc = expectAccepted(await device.request(shadowBase(thing), "get"));
    expect(doc.connection).toEqual(up.body);

    const from = observer.mark();
    await device.end();
    const down = await observer.waitFor((m) => m.topic === presence(thing), "presence down", from);
    expect(down.body).toEqual({ connected: false, since: expect.any(Number), site: "test" });
    expect(down.body?.since).toBeGreaterThanOrEqual(up.body?.since ?? 0);

    const after = await retainedPresence(thing);
    expect(after.received((m) => m.topic === presence(thing)).map((m) => m.body?.connected)).toEqual([false]);
    const offline = expectAccepted(await after.request(shadowBase(thing), "get"));
    expect(offline.connection).toEqual(down.body);
  });

  it("keeps a thing connected when a second session with its client id takes over", async () => {
    const thing = "pr-takeover";
    await pool.connect({ clientId: thing });
    const observer = await pool.connect();
    await observer.subscribe(presence(thing));
    await observer.waitFor((m) => m.topic === presence(thing) && m.body?.connected === true, "first up");
    const from = observer.mark();
    await pool.connect({ clientId: thing });
    await observer.waitFor(
      (m) => m.topic === presence(thing) && m.body?.connected === true,
      "second up",
      from,
    );
    const last = await retainedPresence(thing);
    expect(last.received((m) => m.topic === presence(thing)).map((m) => m.body?.connected)).toEqual([true]);
  });

  it("announces no presence for clients whose id is not a thing name", async () => {
    const observer = await pool.connect();
    await observer.subscribe("$umbra/things/+/presence");
    const odd = ["not.a.thing", "x".repeat(129), "with space"];
    for (const id of odd) await pool.connect({ clientId: id });
    // Barrier: a thing that connects afterwards is announced; the others may not have been.
    await pool.connect({ clientId: "pr-barrier" });
    await observer.waitFor((m) => m.topic === presence("pr-barrier"), "barrier presence");
    expect(observer.received((m) => odd.some((id) => m.topic === presence(id)))).toEqual([]);
  });

  it("acknowledges but never forwards or retains a presence published by a client", async () => {
    const thing = "pr-forged";
    const device = await pool.connect({ clientId: thing });
    const observer = await pool.connect();
    await observer.subscribe(presence(thing));
    await observer.waitFor((m) => m.body?.connected === true, "real presence");
    const forger = await pool.connect();
    const from = observer.mark();
    const fake = { connected: false, since: 1, site: "evil" };
    // QoS 1: publishAsync resolves on PUBACK, so the node did acknowledge.
    await forger.publish(presence(thing), fake);
    await forger.publish(presence(thing), fake, { retain: true });
    // The forger is still connected: dropping is silent, not a disconnect.
    expect(forger.client.connected).toBe(true);
    let late = await retainedPresence(thing);
    expect(late.received((m) => m.topic === presence(thing)).map((m) => m.body)).toEqual([
      { connected: true, since: expect.any(Number), site: "test" },
    ]);
    // An empty retained publish would clear the node's retained presence.
    await forger.publish(presence(thing), "", { retain: true });
    late = await retainedPresence(thing);
    expect(late.received((m) => m.topic === presence(thing)).map((m) => m.body?.connected)).toEqual([true]);

    // Barrier: the real disconnect comes after the forgeries.
    await device.end();
    await observer.waitFor((m) => m.body?.connected === false, "real disconnect", from);
    expect(observer.received(() => true, from).map((m) => m.body)).toEqual([
      { connected: false, since: expect.any(Number), site: "test" },
    ]);
  });

  it("acknowledges but never forwards or retains shadow replies published by a client", async () => {
    const thing = "pr-forged-reply";
    const base = shadowBase(thing);
    const observer = await pool.connect();
    await observer.watch(thing);
    await observer.watch(thing, "", "$aws");
    const forger = await pool.connect();
    const from = observer.mark();
    const fake = { state: { desired: { door: "open" } }, version: 99, clientToken: "forged" };
    for (const reply of [
      "update/accepted",
      "update/delta",
      "update/documents",
      "get/accepted",
      "delete/rejected",
    ]) {
      await forger.publish(`${base}/${reply}`, fake);
      await forger.publish(`$aws/things/${thing}/shadow/${reply}`, fake, { retain: true });
    }
    await forger.publish(`${shadowBase(thing, "named")}/update/accepted`, fake);

    // Barrier: a real update's replies arrive after anything forged would have.
    await observer.request(
      base,
      "update",
      { state: { desired: { door: "closed" } }, clientToken: "real" },
      "real",
    );
    await observer.waitFor(
      (m) => m.topic === `$aws/things/${thing}/shadow/update/documents` && m.body?.clientToken === "real",
      "real documents",
      from,
    );
    const tokens = observer
      .received((m) => m.topic !== `${base}/update`, from)
      .map((m) => `${m.topic.split("/")[0]} ${m.topic.split("/").slice(4).join("/")} ${m.body?.clientToken}`);
    expect(tokens.filter((t) => t.endsWith("forged"))).toEqual([]);
    expect(tokens).toContain("$umbra update/accepted real");

    // Nothing forged was retained either.
    const late = await pool.connect();
    await late.subscribe([`$aws/things/${thing}/shadow/#`, `${base}/+/+`]);
    await late.watch("pr-forged-barrier");
    await late.request(shadowBase("pr-forged-barrier"), "get");
    expect(late.received((m) => m.topic.includes(thing))).toEqual([]);
  });
});
