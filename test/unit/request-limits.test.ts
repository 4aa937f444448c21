import { describe, expect, it } from "vitest";
import { SharedRequestLimits } from "../../broker/auth/request-limits.ts";
import { ANONYMOUS, principal } from "../../shared/acl.ts";
import { DEFAULT_SECURITY } from "../../shared/config.ts";

const limits = {
  ...DEFAULT_SECURITY,
  requestRate: 1000,
  requestBurst: 1000,
  maxInflight: 1000,
  identityRequestRate: 1,
  identityRequestBurst: 5,
  identityMaxInflight: 1000,
  thingRequestRate: 1,
  thingRequestBurst: 3,
  thingMaxInflight: 2,
};

describe("SharedRequestLimits", () => {
  it("shares one identity bucket across its connections", () => {
    let t = 0;
    const shared = new SharedRequestLimits(
      { ...limits, thingRequestBurst: 1000, thingMaxInflight: 1000 },
      () => t,
    );
    const bridge = principal("modbus", "bridge", "*");
    const conns = Array.from({ length: 5 }, () => shared.forConnection());
    const outcomes = conns.flatMap((c, i) =>
      [0, 1].map((j) => {
        const a = shared.admit(c, bridge, `thing-${i}-${j}`);
        if (a.refusal === null) a.release();
        return a.refusal === null ? "ok" : a.scope;
      }),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(5);
    expect(outcomes.filter((o) => o === "identity")).toHaveLength(5);
    expect(shared.refused.identity).toBe(5);
    t += 1000; // one token back
    const again = shared.admit(shared.forConnection(), bridge, "thing-x");
    expect(again.refusal).toBeNull();
  });

  it("limits a thing across identities, counts in-flight until release, and takes nothing when refused", () => {
    const t = 0;
    const shared = new SharedRequestLimits(limits, () => t);
    const a = principal("op-a", "operator", "*");
    const b = principal("op-b", "operator", "*");
    const first = shared.admit(undefined, a, "pdu-1");
    const second = shared.admit(undefined, b, "pdu-1");
    const third = shared.admit(undefined, a, "pdu-1");
    expect([first.refusal, second.refusal]).toEqual([null, null]);
    expect(third.refusal).toMatch(/Too many requests in flight \(limit 2\) for thing 'pdu-1'/);
    if (first.refusal === null) first.release();
    if (second.refusal === null) second.release();
    const fourth = shared.admit(undefined, b, "pdu-1");
    expect(fourth.refusal).toBeNull();
    const fifth = shared.admit(undefined, b, "pdu-1");
    expect(fifth.refusal).toMatch(/Rate limit exceeded \(1 requests per second\) for thing 'pdu-1'/);
    // The refused requests took no identity tokens: op-a still has 5 - 1 = 4 on another thing.
    const others = Array.from({ length: 4 }, (_, i) => shared.admit(undefined, a, `ups-${i}`).refusal);
    expect(others).toEqual([null, null, null, null]);
  });

  it("leaves anonymous clients (development) to their connection's limit", () => {
    const shared = new SharedRequestLimits(limits, () => 0);
    const outcomes = Array.from(
      { length: 20 },
      () => shared.admit(shared.forConnection(), ANONYMOUS, "pdu-1").refusal,
    );
    expect(outcomes.every((r) => r === null)).toBe(true);
    expect(shared.size).toBe(0);
  });
});
