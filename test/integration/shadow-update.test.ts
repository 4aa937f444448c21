import { describe, expect, it } from "vitest";
import {
  expectAccepted,
  expectRejected,
  nowSeconds,
  type ShadowProbe,
  shadowBase,
  useProbeNode,
} from "../helpers/shadow-probe.ts";

/** update over MQTT: sections, merge rules, metadata, version, clientToken, optimistic locking, size limits. */
describe("shadow update over MQTT", () => {
  const { device } = useProbeNode();

  async function getState(p: ShadowProbe, thing: string) {
    return expectAccepted(await p.request(shadowBase(thing), "get"));
  }

  it("stores desired and reported, merges nested objects and stamps every written leaf", async () => {
    const base = shadowBase("upd-merge");
    const p = await device("upd-merge");
    const t0 = nowSeconds();
    const first = expectAccepted(
      await p.request(base, "update", {
        state: { desired: { power: "on", fan: { speed: 3, mode: "auto" } } },
        clientToken: "t1",
      }),
    );
    const t1 = nowSeconds();
    expect(first.state).toEqual({ desired: { power: "on", fan: { speed: 3, mode: "auto" } } });
    expect(first.version).toBe(1);
    expect(first.clientToken).toBe("t1");
    const ts = first.timestamp ?? 0;
    expect(ts).toBeGreaterThanOrEqual(t0);
    expect(ts).toBeLessThanOrEqual(t1);
    expect(first.metadata).toEqual({
      desired: { power: { timestamp: ts }, fan: { speed: { timestamp: ts }, mode: { timestamp: ts } } },
    });

    const second = expectAccepted(
      await p.request(base, "update", {
        state: { desired: { fan: { speed: 4 } }, reported: { power: "off" } },
      }),
    );
    expect(second.version).toBe(2);
    expect(second.clientToken).toBeUndefined();
    // update/accepted echoes the request's state, not the merged document.
    expect(second.state).toEqual({ desired: { fan: { speed: 4 } }, reported: { power: "off" } });

    const doc = await getState(p, "upd-merge");
    expect(doc.state?.desired).toEqual({ power: "on", fan: { speed: 4, mode: "auto" } });
    expect(doc.state?.reported).toEqual({ power: "off" });
    expect(doc.version).toBe(2);
    const meta = doc.metadata as { desired: { fan: { mode: { timestamp: number } } }; reported: unknown };
    expect(meta.desired.fan.mode.timestamp).toBe(ts);
    expect(Object.keys(meta)).toEqual(["desired", "reported"]);
  });

  it("deletes a key with null and a whole section with desired: null", async () => {
    const base = shadowBase("upd-null");
    const p = await device("upd-null");
    await p.request(base, "update", { state: { desired: { a: 1, b: { c: 2, d: 3 } }, reported: { a: 1 } } });

    expectAccepted(await p.request(base, "update", { state: { desired: { b: { c: null } } } }));
    let doc = await getState(p, "upd-null");
    expect(doc.state?.desired).toEqual({ a: 1, b: { d: 3 } });
    expect(doc.metadata?.desired).not.toHaveProperty("b.c");
    expect(doc.metadata?.desired).toHaveProperty("b.d.timestamp");

    const cleared = expectAccepted(await p.request(base, "update", { state: { desired: null } }));
    expect(cleared.state).toEqual({ desired: null });
    expect(cleared.metadata).toEqual({ desired: { timestamp: cleared.timestamp } });
    doc = await getState(p, "upd-null");
    expect(doc.state).toEqual({ reported: { a: 1 } });
    expect(doc.metadata).toEqual({ reported: { a: { timestamp: expect.any(Number) } } });
    expect(doc.version).toBe(3);
  });

  it("replaces arrays whole and rejects arrays that contain null", async () => {
    const base = shadowBase("upd-arrays");
    const p = await device("upd-arrays");
    await p.request(base, "update", { state: { desired: { list: [1, 2, 3], objs: [{ a: 1 }, { b: 2 }] } } });
    expectAccepted(await p.request(base, "update", { state: { desired: { list: [4], objs: [{ c: 3 }] } } }));
    let doc = await getState(p, "upd-arrays");
    expect(doc.state?.desired).toEqual({ list: [4], objs: [{ c: 3 }] });
    // A leaf array has one timestamp, not one per element.
    expect(doc.metadata?.desired).toEqual({
      list: { timestamp: expect.any(Number) },
      objs: { timestamp: expect.any(Number) },
    });

    for (const bad of [[1, null], [[null]], [{ x: [null] }]]) {
      expectRejected(
        await p.request(base, "update", { state: { reported: { list: bad } }, clientToken: "arr" }, "arr"),
        400,
        "arr",
      );
    }
    doc = await getState(p, "upd-arrays");
    expect(doc.state?.reported).toBeUndefined();
    expect(doc.version).toBe(2);
  });

  it("increments the version by exactly one per accepted change", async () => {
    const base = shadowBase("upd-version");
    const p = await device("upd-version");
    const versions: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = expectAccepted(await p.request(base, "update", { state: { reported: { n: i } } }));
      versions.push(r.version ?? -1);
    }
    expect(versions).toEqual([1, 2, 3, 4, 5]);
  });

  it("echoes a clientToken of up to 64 bytes on accepted, delta, documents and rejected", async () => {
    const thing = "upd-token";
    const base = shadowBase(thing);
    const p = await device(thing);
    const t64 = "é".repeat(32); // 64 UTF-8 bytes, 32 characters
    const from = p.mark();
    const ok = expectAccepted(
      await p.request(base, "update", { state: { desired: { x: 1 } }, clientToken: t64 }),
    );
    expect(ok.clientToken).toBe(t64);
    const delta = await p.waitFor((m) => m.topic === `${base}/update/delta`, "delta", from);
    expect(delta.body?.clientToken).toBe(t64);
    const docs = await p.waitFor((m) => m.topic === `${base}/update/documents`, "documents", from);
    expect(docs.body?.clientToken).toBe(t64);

    const conflict = await p.request(base, "update", {
      state: { desired: { x: 2 } },
      version: 99,
      clientToken: t64,
    });
    expectRejected(conflict, 409, t64);

    // 33 two-byte characters are 66 bytes: rejected and, being invalid, never echoed.
    const long = await p.request(base, "update", {
      state: { desired: { x: 3 } },
      clientToken: "é".repeat(33),
    });
    expectRejected(long, 400);
    const ascii65 = await p.request(base, "update", {
      state: { desired: { x: 3 } },
      clientToken: "a".repeat(65),
    });
    expectRejected(ascii65, 400);
    expect((await getState(p, thing)).state?.desired).toEqual({ x: 1 });
  });

  it("rejects a stale version with 409 and accepts the matching one", async () => {
    const base = shadowBase("upd-occ");
    const p = await device("upd-occ");
    await p.request(base, "update", { state: { desired: { mode: "a" } } });
    const stale = await p.request(
      base,
      "update",
      { state: { desired: { mode: "b" } }, version: 0, clientToken: "s" },
      "s",
    );
    expectRejected(stale, 409, "s");
    const ahead = await p.request(
      base,
      "update",
      { state: { desired: { mode: "b" } }, version: 2, clientToken: "s" },
      "s",
    );
    expectRejected(ahead, 409, "s");
    expect((await getState(p, "upd-occ")).version).toBe(1);
    const ok = expectAccepted(
      await p.request(base, "update", { state: { desired: { mode: "c" } }, version: 1 }),
    );
    expect(ok.version).toBe(2);
    expect((await getState(p, "upd-occ")).state?.desired).toEqual({ mode: "c" });
  });

  it("accepts an update that changes nothing without a new version, documents or delta", async () => {
    const thing = "upd-noop";
    const base = shadowBase(thing);
    const p = await device(thing);
    await p.request(base, "update", {
      state: { desired: { power: "on" }, reported: { power: "off", temp: 20 } },
      clientToken: "setup",
    });
    const from = p.mark();
    const repeat = expectAccepted(
      await p.request(base, "update", { state: { reported: { power: "off" } }, clientToken: "noop-1" }),
    );
    expect(repeat.version).toBe(1);
    expect(repeat.clientToken).toBe("noop-1");
    const deleteMissing = expectAccepted(
      await p.request(base, "update", { state: { desired: { absent: null } }, clientToken: "noop-2" }),
    );
    expect(deleteMissing.version).toBe(1);
    // Keys that only exist on Object.prototype are not state: deleting them changes nothing either.
    const deleteInherited = expectAccepted(
      await p.request(base, "update", {
        state: { reported: { toString: null, constructor: null } },
        clientToken: "noop-3",
      }),
    );
    expect(deleteInherited.version).toBe(1);

    // A real change afterwards is a barrier: its documents come after anything the no-ops could have caused.
    await p.request(base, "update", { state: { reported: { temp: 21 } }, clientToken: "real" });
    const docs = await p.waitFor(
      (m) => m.topic === `${base}/update/documents` && m.body?.clientToken === "real",
      "documents of the real change",
      from,
    );
    expect(docs.body?.previous?.version).toBe(1);
    expect(docs.body?.current?.version).toBe(2);
    const announced = p.received((m) => /\/update\/(documents|delta)$/.test(m.topic), from);
    // The setup's own announcements may arrive after its accepted reply; the no-ops must have none.
    expect(announced.map((m) => m.body?.clientToken).filter((t) => t !== "real" && t !== "setup")).toEqual(
      [],
    );
  });

  it("checks the 8 KiB limit on the merged state, and 16 KiB on the request payload", async () => {
    const thing = "upd-size";
    const base = shadowBase(thing);
    const p = await device(thing);
    const five = (c: string) => c.repeat(5 * 1024);
    expectAccepted(await p.request(base, "update", { state: { desired: { a: five("x") } } }));
    // Each request alone is well under 8 KiB; together they are not.
    const over = await p.request(
      base,
      "update",
      { state: { desired: { b: five("y") } }, clientToken: "big" },
      "big",
    );
    expectRejected(over, 413, "big");
    let doc = await getState(p, thing);
    expect(Object.keys(doc.state?.desired ?? {})).toEqual(["a"]);
    expect(doc.version).toBe(1);

    // Removing `a` in the same request makes room for `b`: the check is on the result, not the sum.
    expectAccepted(await p.request(base, "update", { state: { desired: { a: null, b: five("y") } } }));
    doc = await getState(p, thing);
    expect(Object.keys(doc.state?.desired ?? {})).toEqual(["b"]);

    const huge = JSON.stringify({
      state: { reported: { blob: "z".repeat(17 * 1024) } },
      clientToken: "huge",
    });
    expectRejected(await p.request(base, "update", huge), 413);
    expect((await getState(p, thing)).version).toBe(2);
  });
});
