import { describe, expect, it } from "vitest";
import {
  expectAccepted,
  expectRejected,
  type ShadowProbe,
  shadowBase,
  useProbeNode,
} from "../helpers/shadow-probe.ts";

/** Named shadows, the `$aws` alias root, and AWS's thing/shadow name rules. */
describe("named shadows, roots and names over MQTT", () => {
  const ctx = useProbeNode();
  const { pool } = ctx;

  async function watching(...bases: string[]): Promise<ShadowProbe> {
    const p = await pool.connect();
    await p.subscribe(bases.map((b) => `${b}/#`));
    return p;
  }

  it("keeps a named shadow apart from the classic shadow and from other named shadows", async () => {
    const classic = shadowBase("nr-named");
    const cfg = shadowBase("nr-named", "cfg");
    const fw = shadowBase("nr-named", "firmware");
    const p = await watching(classic, cfg, fw);
    const r = expectAccepted(
      await p.request(cfg, "update", { state: { desired: { interval: 5 } }, clientToken: "n" }),
    );
    expect(r.version).toBe(1);
    expectRejected(await p.request(classic, "get"), 404);
    expectRejected(await p.request(fw, "get"), 404);
    expect(expectAccepted(await p.request(cfg, "get")).state).toEqual({
      desired: { interval: 5 },
      delta: { interval: 5 },
    });
    // The named shadow's replies arrived on its own topics only.
    expect(p.log.filter((m) => m.topic.startsWith(`${classic}/update`))).toEqual([]);
    expectAccepted(await p.request(cfg, "delete"));
    expectRejected(await p.request(cfg, "get"), 404);
  });

  it("serves $aws identically and replies on the root the request used", async () => {
    const thing = "nr-roots";
    const umbra = shadowBase(thing);
    const aws = shadowBase(thing, "", "$aws");
    const p = await watching(umbra, aws);
    const from = p.mark();
    const viaAws = await p.request(aws, "update", { state: { desired: { v: 1 } }, clientToken: "aws-1" });
    expect(viaAws.topic).toBe(`${aws}/update/accepted`);
    expect(expectAccepted(viaAws).version).toBe(1);
    // Written via $aws, read via $umbra: one store.
    const viaUmbra = await p.request(umbra, "get", { clientToken: "u-get" });
    expect(viaUmbra.topic).toBe(`${umbra}/get/accepted`);
    expect(viaUmbra.body?.state?.desired).toEqual({ v: 1 });
    // Barrier: an update via $umbra; by its documents, a stray $umbra reply to aws-1 would have arrived.
    await p.request(umbra, "update", { state: { reported: { v: 1 } }, clientToken: "u-1" });
    await p.waitFor(
      (m) => m.topic === `${aws}/update/documents` && m.body?.clientToken === "u-1",
      "barrier",
      from,
    );
    const acceptedOn = p
      .received((m) => m.topic.endsWith("/update/accepted"), from)
      .map((m) => `${m.topic.split("/")[0]} ${m.body?.clientToken}`);
    expect(acceptedOn).toEqual(["$aws aws-1", "$umbra u-1"]);
    expectRejected(await p.request(aws, "get", "{bad"), 400);
    expect(p.received((m) => m.topic === `${umbra}/get/rejected`, from)).toEqual([]);
  });

  it("publishes delta and documents on both roots, whichever root the update came in on", async () => {
    for (const [shadow, via] of [
      ["", "$aws"],
      ["", "$umbra"],
      ["both", "$aws"],
    ] as const) {
      const thing = `nr-both-${via.slice(1)}-${shadow || "classic"}`;
      const umbra = shadowBase(thing, shadow);
      const aws = shadowBase(thing, shadow, "$aws");
      const p = await watching(umbra, aws);
      const from = p.mark();
      const token = `${via}-${shadow}`;
      const base = via === "$aws" ? aws : umbra;
      expectAccepted(await p.request(base, "update", { state: { desired: { x: 1 } }, clientToken: token }));
      for (const root of [umbra, aws]) {
        const delta = await p.waitFor((m) => m.topic === `${root}/update/delta`, `delta on ${root}`, from);
        expect(delta.body).toMatchObject({ state: { x: 1 }, version: 1, clientToken: token });
        const docs = await p.waitFor(
          (m) => m.topic === `${root}/update/documents`,
          `documents on ${root}`,
          from,
        );
        expect(docs.body).toMatchObject({ previous: null, current: { version: 1 }, clientToken: token });
      }
      await pool.closeAll();
    }
  });

  it("applies the thing name rules: 1-128 of [a-zA-Z0-9:_-]", async () => {
    const okName = `${"a".repeat(120)}:_-Z9xyz`; // 128 characters using every allowed class
    expect(okName.length).toBe(128);
    const ok = shadowBase(okName);
    const p1 = await watching(ok);
    expectAccepted(await p1.request(ok, "update", { state: { reported: { ok: true } } }));

    for (const bad of ["a".repeat(129), "bad.thing", "bad thing", "thing@home", "ünïcode"]) {
      const base = shadowBase(bad);
      const p = await watching(base);
      for (const op of ["update", "get", "delete"] as const) {
        const body =
          op === "update" ? { state: { reported: { x: 1 } }, clientToken: "nm" } : { clientToken: "nm" };
        const reply = await p.request(base, op, body);
        expect(reply.topic).toBe(`${base}/${op}/rejected`);
        expectRejected(reply, 400, "nm");
      }
    }
  });

  it("applies the shadow name rules: 1-64 of [$a-zA-Z0-9:_-]", async () => {
    const thing = "nr-shadow-names";
    for (const good of ["$config", "a".repeat(64), "x:y_z-1"]) {
      const base = shadowBase(thing, good);
      const p = await watching(base);
      expectAccepted(await p.request(base, "update", { state: { reported: { ok: true } } }));
      expectAccepted(await p.request(base, "get"));
    }
    for (const bad of ["a".repeat(65), "bad.name", "bad name", "naïve"]) {
      const base = shadowBase(thing, bad);
      const p = await watching(base);
      const reply = await p.request(base, "update", { state: { reported: { x: 1 } }, clientToken: "sn" });
      expect(reply.topic).toBe(`${base}/update/rejected`);
      expectRejected(reply, 400, "sn");
      expectRejected(await p.request(base, "get"), 400);
    }
  });

  it("does not treat an empty shadow name (`/name//`) as the classic shadow", async () => {
    const thing = "nr-empty-name";
    const classic = shadowBase(thing);
    const p = await watching(classic);
    const from = p.mark();
    await p.publish(`${classic}/name//update`, {
      state: { desired: { hijack: true } },
      clientToken: "empty",
    });
    // Barrier: a get of the classic shadow is answered after the publish above was handled.
    expectRejected(await p.request(classic, "get", { clientToken: "probe" }, "probe"), 404, "probe");
    // No reply anywhere (the request itself is forwarded as a plain message, which `classic/#` also sees).
    const replies = p.received((m) => /\/(accepted|rejected|delta|documents)$/.test(m.topic), from);
    expect(replies.map((m) => m.body?.clientToken)).toEqual(["probe"]);
  });
});
