import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { expectAccepted, type Received, ShadowProbe, shadowBase } from "../helpers/shadow-probe.ts";

const SEED = 20_240_611;
const RUNS = Number(process.env.UMBRA_PROPERTY_RUNS ?? 150);

/** JSON-ish payloads that reach every branch of request validation, plus plain garbage. */
function payloads(): fc.Arbitrary<string | Buffer> {
  const key = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom("desired", "reported", "delta", "a", "__proto__"),
  );
  const value = fc.jsonValue({ maxDepth: 3 });
  const section = fc.oneof(
    fc.constant(null),
    value,
    fc.dictionary(
      key,
      fc.oneof(value, fc.constant(null), fc.array(fc.oneof(fc.integer(), fc.constant(null)))),
      {
        maxKeys: 4,
      },
    ),
  );
  const request = fc.record(
    {
      state: fc.oneof(
        value,
        fc.record({ desired: section, reported: section, delta: section }, { requiredKeys: [] }),
      ),
      version: fc.oneof(
        fc.integer({ min: -2, max: 4 }),
        fc.double(),
        fc.string({ maxLength: 3 }),
        fc.constant(null),
      ),
      clientToken: fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fc.constant("p".repeat(65))),
    },
    { requiredKeys: [] },
  );
  const text = request.map((r) => JSON.stringify(r));
  // Mostly valid updates, so that accepted replies (and 409/413 later on) are reached too.
  const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant(null));
  const plausible = fc
    .record(
      {
        state: fc.record(
          {
            desired: fc.dictionary(key, leaf, { maxKeys: 3 }),
            reported: fc.dictionary(key, leaf, { maxKeys: 3 }),
          },
          { requiredKeys: ["desired"] },
        ),
        clientToken: fc.string({ maxLength: 12 }),
        version: fc.integer({ min: 0, max: 40 }),
      },
      { requiredKeys: ["state"] },
    )
    .map((r) => JSON.stringify(r));
  // Large values: over 16 KiB the request is refused, over 8 KiB of merged state the update is.
  const large = fc
    .integer({ min: 1_000, max: 20_000 })
    .map((n) => JSON.stringify({ state: { reported: { [`big${n % 3}`]: "x".repeat(n) } } }));
  return fc.oneof(
    plausible,
    large,
    text,
    // Truncations of valid-looking requests: mostly invalid JSON.
    fc.tuple(text, fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))),
    fc.jsonValue().map((v) => JSON.stringify(v) ?? ""),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
  );
}

/** The clientToken the node must echo: a string of at most 64 UTF-8 bytes in a payload that is a JSON object. */
function expectedToken(payload: string | Buffer): string | undefined {
  try {
    const body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(payload)));
    const t = body?.clientToken;
    if (body && typeof body === "object" && !Array.isArray(body) && typeof t === "string") {
      return Buffer.byteLength(t) <= 64 ? t : undefined;
    }
  } catch {
    // not JSON: nothing to echo
  }
  return undefined;
}

/** Random payloads on `$umbra/things/x/shadow/update`: exactly one well-formed reply each, and the node stays up. */
describe("bad input property", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(() => node.stop());

  it(`answers ${RUNS} random payloads with exactly one accepted or rejected reply each (seed ${SEED})`, async () => {
    const base = shadowBase("x");
    const p = await ShadowProbe.connect(node.mqttUrl);
    await p.watch("x");
    const isReply = (m: Received) =>
      m.topic === `${base}/update/accepted` || m.topic === `${base}/update/rejected`;
    let n = 0;
    const codes: Record<string, number> = {};
    try {
      await fc.assert(
        fc.asyncProperty(payloads(), async (payload) => {
          const from = p.mark();
          await p.publish(`${base}/update`, payload);
          const reply = await p.waitFor(isReply, "reply to a random payload", from);
          // A sentinel request (always rejected: no state) marks the end of this payload's replies.
          const sentinel = `sentinel-${n++}`;
          await p.publish(`${base}/update`, { clientToken: sentinel });
          await p.waitFor((m) => isReply(m) && m.body?.clientToken === sentinel, sentinel, from);
          const replies = p.received(isReply, from).filter((m) => m.body?.clientToken !== sentinel);
          expect(replies).toHaveLength(1);

          const body = reply.body ?? {};
          const token = expectedToken(payload);
          if (reply.topic.endsWith("/accepted")) {
            expect(Number.isSafeInteger(body.version)).toBe(true);
            expect(typeof body.state).toBe("object");
            expect(body.clientToken).toBe(token);
            codes.accepted = (codes.accepted ?? 0) + 1;
          } else {
            expect([400, 409, 413]).toContain(body.code);
            expect(typeof body.message).toBe("string");
            expect(typeof body.timestamp).toBe("number");
            // An echoed token is always the request's own, valid token.
            if (body.clientToken !== undefined) expect(body.clientToken).toBe(token);
            codes[String(body.code)] = (codes[String(body.code)] ?? 0) + 1;
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      await p.end();
    }
    // The generator must actually reach both outcomes, or the property proves little.
    expect(codes.accepted ?? 0).toBeGreaterThan(0);
    expect(codes["400"] ?? 0).toBeGreaterThan(RUNS / 4);

    const other = await ShadowProbe.connect(node.mqttUrl);
    await other.watch("after-property");
    const r = await other.request(shadowBase("after-property"), "update", {
      state: { reported: { alive: true } },
    });
    expect(expectAccepted(r).version).toBe(1);
    await other.end();
  });
});
