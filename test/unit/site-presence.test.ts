import { describe, expect, it } from "vitest";
import { principal } from "../../shared/acl.ts";
import { recordCondition } from "../../shared/alarms-eval.ts";
import type { AlarmRule } from "../../shared/alarms-rules.ts";
import type { FleetRecord } from "../../shared/query/index.ts";
import { replacementPatch } from "../../shared/site-attributes.ts";
import {
  NODE_WRITER,
  presenceFromReported,
  reservedShadowDenial,
  resolvePresence,
} from "../../shared/site-presence.ts";

const up = () => ({ up: true as const });
const down = (since: number) => () => ({ up: false as const, since });

describe("presence across sites", () => {
  const here = { connected: false, since: 100, site: "core" };
  const there = { connected: true, since: 200, site: "edge-1" };

  it("shows the presence that changed last, local on a tie", () => {
    expect(resolvePresence("core", here, there, up)).toEqual(there);
    expect(resolvePresence("core", { ...here, since: 300 }, there, up)).toEqual({ ...here, since: 300 });
    expect(resolvePresence("core", { ...here, since: 200 }, there, up)).toEqual({ ...here, since: 200 });
    expect(resolvePresence("core", undefined, there, () => undefined)).toEqual(there);
    expect(resolvePresence("core", here, undefined, up)).toEqual(here);
  });

  it("ignores a relayed presence of its own site (the tracker is the truth there)", () => {
    expect(resolvePresence("edge-1", undefined, there, up)).toBeUndefined();
  });

  it("says unknown, not offline, while the link to the device's site is down", () => {
    expect(resolvePresence("core", here, there, down(250))).toEqual({
      connected: false,
      unknown: true,
      since: 250,
      site: "edge-1",
    });
    // A link lost before the last relayed change: unknown since that change.
    expect(resolvePresence("core", undefined, there, down(150))).toMatchObject({ unknown: true, since: 200 });
  });

  it("reads only well-formed presence documents", () => {
    expect(presenceFromReported({ connected: true, since: 5, site: "a" })).toEqual({
      connected: true,
      since: 5,
      site: "a",
    });
    expect(presenceFromReported({ connected: "yes", since: 5, site: "a" })).toBeUndefined();
    expect(presenceFromReported(undefined)).toBeUndefined();
  });

  it("reserves $umbra- shadows for the node", () => {
    expect(reservedShadowDenial(principal("ops", "operator"), "$umbra-presence")).toMatch(/reserved/);
    expect(reservedShadowDenial(principal("node", "bridge"), "$umbra-presence")).toMatch(/reserved/);
    expect(reservedShadowDenial(NODE_WRITER, "$umbra-presence")).toBeNull();
    expect(reservedShadowDenial(principal("ops", "operator"), "$config")).toBeNull();
  });
});

describe("attributes across sites: the replacement patch", () => {
  it("sets changed leaves, nulls removed ones and leaves equal subtrees out", () => {
    const from = { type: "pdu", vendor: "acme", location: { room: "r2", rack: "7" }, labels: { a: "1" } };
    const to = {
      type: "pdu",
      location: { room: "r2", rack: "8", unit: 3 },
      labels: { a: "1" },
      owner: "ops",
    };
    expect(replacementPatch(from, to)).toEqual({
      vendor: null,
      location: { rack: "8", unit: 3 },
      owner: "ops",
    });
    expect(replacementPatch(to, to)).toEqual({});
    expect(replacementPatch({ location: { room: "r1" } }, { location: "x" } as never)).toEqual({
      location: "x",
    });
  });
});

describe("alarms: unknown presence is not offline", () => {
  it("raises offline only for a known disconnect", () => {
    const rule = { kind: "offline" } as AlarmRule;
    const rec = (presence: FleetRecord["presence"]): FleetRecord => ({
      thing: "t",
      attributes: {},
      shadows: {},
      systems: [],
      ...(presence ? { presence } : {}),
    });
    expect(recordCondition(rule, rec({ connected: false, since: 5, site: "e" })).holds).toBe(true);
    expect(recordCondition(rule, rec({ connected: false, unknown: true, since: 5, site: "e" })).holds).toBe(
      false,
    );
    expect(recordCondition(rule, rec({ connected: true, since: 5, site: "e" })).holds).toBe(false);
  });
});

describe("presence marks of a cut further away", () => {
  const up = () => ({ up: true }) as const;
  it("shows a presence another node marked as unknown since that node's last contact", () => {
    const reported = { connected: true, since: 10, site: "edge-1", unknownBy: { core: 40, bad: "x" } };
    const relayed = presenceFromReported(reported);
    expect(relayed).toEqual({ connected: true, since: 10, site: "edge-1", unknownBy: { core: 40 } });
    expect(resolvePresence("edge-2", undefined, relayed, up)).toEqual({
      connected: false,
      unknown: true,
      since: 40,
      site: "edge-1",
    });
    // The marking node judges by its own link (its mark is not read back), the device's site ignores it.
    expect(resolvePresence("core", undefined, relayed, up)).toEqual({
      connected: true,
      since: 10,
      site: "edge-1",
    });
    expect(resolvePresence("edge-1", undefined, relayed, up)).toBeUndefined();
    // Removed marks (an empty map after the link healed) show the presence as relayed.
    const healed = presenceFromReported({ connected: false, since: 50, site: "edge-1", unknownBy: {} });
    expect(resolvePresence("edge-2", undefined, healed, up)).toEqual({
      connected: false,
      since: 50,
      site: "edge-1",
    });
  });
});
