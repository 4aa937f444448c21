import { describe, expect, it } from "vitest";
import {
  expectAccepted,
  expectRejected,
  nowSeconds,
  shadowBase,
  useProbeNode,
} from "../helpers/shadow-probe.ts";

/** get, update/documents and delete over MQTT, including the tombstone a delete leaves. */
describe("shadow get, documents and delete over MQTT", () => {
  const { device } = useProbeNode();

  it("answers get and delete of a shadow that never existed with 404", async () => {
    const base = shadowBase("gd-missing");
    const p = await device("gd-missing");
    expectRejected(await p.request(base, "get", { clientToken: "g" }), 404, "g");
    expectRejected(await p.request(base, "get"), 404);
    expectRejected(await p.request(base, "delete", { clientToken: "d" }), 404, "d");
  });

  it("returns the whole document with its delta on get/accepted", async () => {
    const thing = "gd-get";
    const base = shadowBase(thing);
    const p = await device(thing);
    await p.request(base, "update", {
      state: {
        desired: { power: "on", fan: { speed: 3, mode: "auto" } },
        reported: { power: "off", fan: { speed: 3 } },
      },
    });
    const t0 = nowSeconds();
    const doc = expectAccepted(await p.request(base, "get", { clientToken: "read-1" }));
    expect(doc.state).toEqual({
      desired: { power: "on", fan: { speed: 3, mode: "auto" } },
      reported: { power: "off", fan: { speed: 3 } },
      delta: { power: "on", fan: { mode: "auto" } },
    });
    const ts = { timestamp: expect.any(Number) };
    expect(doc.metadata).toEqual({
      desired: { power: ts, fan: { speed: ts, mode: ts } },
      reported: { power: ts, fan: { speed: ts } },
    });
    expect(doc.version).toBe(1);
    expect(doc.clientToken).toBe("read-1");
    expect(doc.timestamp).toBeGreaterThanOrEqual(t0);
    // Nobody with this thing's client id ever connected, so there is no presence to report.
    expect(doc.connection).toBeUndefined();

    await p.request(base, "update", { state: { reported: { power: "on", fan: { mode: "auto" } } } });
    const synced = expectAccepted(await p.request(base, "get"));
    expect(synced.state?.delta).toBeUndefined();
    expect(synced.version).toBe(2);
  });

  it("publishes previous and current on update/documents (previous null for a new shadow)", async () => {
    const thing = "gd-docs";
    const base = shadowBase(thing);
    const p = await device(thing);
    const docsTopic = `${base}/update/documents`;
    let from = p.mark();
    await p.request(base, "update", { state: { desired: { a: 1 } }, clientToken: "c1" });
    const first = (await p.waitFor((m) => m.topic === docsTopic, "documents 1", from)).body ?? {};
    expect(first.previous).toBeNull();
    expect(first.current).toEqual({
      state: { desired: { a: 1 } },
      metadata: { desired: { a: { timestamp: first.timestamp } } },
      version: 1,
    });
    expect(first.clientToken).toBe("c1");
    expect(Math.abs((first.timestamp ?? 0) - nowSeconds())).toBeLessThanOrEqual(5);

    from = p.mark();
    await p.request(base, "update", { state: { desired: { b: 2 }, reported: { a: 1 } } });
    const second = (await p.waitFor((m) => m.topic === docsTopic, "documents 2", from)).body ?? {};
    expect(second.previous).toEqual(first.current);
    expect(second.current?.state).toEqual({ desired: { a: 1, b: 2 }, reported: { a: 1 } });
    expect(second.current?.version).toBe(2);
    expect(second.clientToken).toBeUndefined();
  });

  it("deletes to a tombstone: 404 afterwards, and a re-created shadow continues the version", async () => {
    const thing = "gd-delete";
    const base = shadowBase(thing);
    const p = await device(thing);
    for (let i = 0; i < 3; i++)
      await p.request(base, "update", { state: { desired: { n: i }, reported: { old: true } } });
    const before = expectAccepted(await p.request(base, "get")).version ?? 0;
    expect(before).toBe(3);

    const t0 = nowSeconds();
    const del = expectAccepted(await p.request(base, "delete", { clientToken: "bye" }));
    expect(del.clientToken).toBe("bye");
    expect(del.version).toBeGreaterThan(before);
    expect(del.timestamp).toBeGreaterThanOrEqual(t0);
    expect(del.state).toBeUndefined();

    expectRejected(await p.request(base, "get", { clientToken: "after" }), 404, "after");
    expectRejected(await p.request(base, "delete"), 404);

    const from = p.mark();
    const again = expectAccepted(await p.request(base, "update", { state: { desired: { fresh: 1 } } }));
    expect(again.version).toBeGreaterThan(del.version ?? 0);
    const doc = expectAccepted(await p.request(base, "get"));
    // Nothing of the deleted state comes back.
    expect(doc.state).toEqual({ desired: { fresh: 1 }, delta: { fresh: 1 } });
    expect(doc.version).toBe(again.version);
    const docs = await p.waitFor(
      (m) => m.topic === `${base}/update/documents`,
      "documents of re-create",
      from,
    );
    expect(docs.body?.previous).toBeNull();
  });

  it("rejects a delete naming a stale version with 409 and keeps the shadow", async () => {
    const thing = "gd-delete-occ";
    const base = shadowBase(thing);
    const p = await device(thing);
    await p.request(base, "update", { state: { reported: { up: true } } });
    expectRejected(await p.request(base, "delete", { version: 7, clientToken: "x" }), 409, "x");
    expect(expectAccepted(await p.request(base, "get")).state).toEqual({ reported: { up: true } });
    expectAccepted(await p.request(base, "delete", { version: 1 }));
    expectRejected(await p.request(base, "get"), 404);
  });

  it("accepts empty and token-only get/delete payloads, and rejects malformed ones with 400", async () => {
    const thing = "gd-payloads";
    const base = shadowBase(thing);
    const p = await device(thing);
    await p.request(base, "update", { state: { reported: { up: true } } });
    expectAccepted(await p.request(base, "get", ""));
    expectAccepted(await p.request(base, "get", "{}"));
    expectRejected(await p.request(base, "get", "{not json"), 400);
    expectRejected(await p.request(base, "get", "[1,2]"), 400);
    expectRejected(await p.request(base, "get", { clientToken: 12 }), 400);
    expectRejected(await p.request(base, "delete", { version: "1", clientToken: "v" }), 400, "v");
    expectRejected(await p.request(base, "delete", "nope"), 400);
    // None of the rejected deletes deleted anything.
    expect(expectAccepted(await p.request(base, "get")).version).toBe(1);
  });
});
