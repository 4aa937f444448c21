import { describe, expect, it } from "vitest";
import type { IdentityRecord } from "../../broker/auth/identity-store.ts";
import { relayCutPolicy } from "../../broker/relay/cut-policy.ts";
import { compileThingPattern } from "../../shared/glob.ts";

const site = (name: string, things: string, revokedAt: number | null = null): IdentityRecord => ({
  name,
  role: "site",
  things,
  createdAt: 0,
  revokedAt,
});
const at = (thing: string) => ({ thing, shadow: "" });

describe("relayCutPolicy", () => {
  it("allows a local cut only for things no parent and no site identity (even revoked) can share", () => {
    let identities = [site("edge-1", "rack1-*"), site("edge-2", "old-*", 1_700_000_000)];
    let clock = 0;
    const policy = relayCutPolicy(
      [compileThingPattern("core-*")],
      () => identities,
      () => clock,
    );
    expect(policy(at("core-pdu"))).toBe(false); // the parent's pattern
    expect(policy(at("rack1-pdu"))).toBe(false); // a child's grant
    expect(policy(at("old-pdu"))).toBe(false); // a revoked child may still hold it
    expect(policy(at("lab-pdu"))).toBe(true);
    identities = [...identities, site("edge-3", "lab-*")];
    expect(policy(at("lab-pdu"))).toBe(true); // the grants are re-read after a while, not per commit
    clock = 10_000;
    expect(policy(at("lab-pdu"))).toBe(false);
  });

  it("makes the agreed cut of a shared thing only where no parent shares it and no connected peer lags", () => {
    let lagging = true;
    const asked: string[] = [];
    const agreed = {
      lagging: (_thing: string, key: string) => {
        asked.push(key);
        return lagging;
      },
    };
    const policy = relayCutPolicy(
      [compileThingPattern("core-*")],
      () => [site("edge-1", "rack1-*")],
      Date.now,
      agreed,
    );
    expect(policy(at("rack1-pdu"), ["h1"])).toBe(false); // a connected child lacks our heads
    lagging = false;
    expect(policy(at("rack1-pdu"), ["h1"])).toBe("agreed");
    expect(asked).toEqual(["rack1-pdu", "rack1-pdu"]);
    expect(policy(at("core-pdu"), ["h1"])).toBe(false); // the parent shares it: the parent cuts
    expect(policy(at("lab-pdu"), ["h1"])).toBe(true); // unshared: a local cut
    expect(policy(at("rack1-pdu"))).toBe(false); // no heads given: never an agreed cut
  });

  it("holds back the agreed cut of a thing a child's earlier parent cuts (one top per thing)", () => {
    const policy = relayCutPolicy([], () => [site("edge-1", "*")], Date.now, {
      lagging: () => false,
      heldBack: (thing) => thing.startsWith("pdu-"),
    });
    expect(policy(at("pdu-1"), ["h1"])).toBe(false);
    expect(policy(at("ups-1"), ["h1"])).toBe("agreed");
  });
});
