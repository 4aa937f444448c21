import { describe, expect, it } from "vitest";
import { ANONYMOUS, mayPublish, mayRelay, maySubscribe, principal, shadowDenial } from "../../shared/acl.ts";
import { compileThingPattern, isValidThingPattern, matchesThing } from "../../shared/glob.ts";

const device = principal("dev-1", "device");
const bridge = principal("gw-1", "bridge", "pdu-*,ups-?");
const operator = principal("ops", "operator", "pdu-*");
const viewer = principal("eyes", "viewer");
const site = principal("site-b", "site");

describe("thing globs", () => {
  const matches = (spec: string, thing: string) => matchesThing(compileThingPattern(spec), thing);

  it("matches * as any run and ? as one character, anchored at both ends", () => {
    expect(matches("pdu-*", "pdu-1")).toBe(true);
    expect(matches("pdu-*", "pdu-")).toBe(true);
    expect(matches("pdu-*", "xpdu-1")).toBe(false);
    expect(matches("ups-?", "ups-1")).toBe(true);
    expect(matches("ups-?", "ups-12")).toBe(false);
    expect(matches("ups-?", "ups-")).toBe(false);
    expect(matches("*", "anything:at_all-1")).toBe(true);
    expect(matches("dev-1", "dev-10")).toBe(false);
  });

  it("treats a comma list as alternatives, ignoring blanks and empty entries", () => {
    for (const t of ["pdu-7", "ups-a"]) expect(matches("pdu-*,ups-?", t), t).toBe(true);
    expect(matches("pdu-*,ups-?", "rack-9")).toBe(false);
    expect(matches(" pdu-* , ups-? ", "ups-1")).toBe(true);
    expect(matches("pdu-*,,", "pdu-1")).toBe(true);
    expect(matches("", "pdu-1")).toBe(false);
    expect(matches(",", "pdu-1")).toBe(false);
  });

  it("takes regex metacharacters literally", () => {
    expect(matches("a.b", "axb")).toBe(false);
    expect(matches("a+", "aa")).toBe(false);
    expect(matches("(a|b)", "a")).toBe(false);
  });

  it("validates specs: thing-name characters and wildcards only, no empty entries", () => {
    for (const ok of ["*", "pdu-*,ups-?", "a:b_c-1", " pdu-* , ups-? "])
      expect(isValidThingPattern(ok), ok).toBe(true);
    for (const bad of ["", ",", "pdu-*,", "a b", "a/b", "#", "+", "a.b", "x".repeat(129)])
      expect(isValidThingPattern(bad), JSON.stringify(bad)).toBe(false);
  });
});

describe("maySubscribe", () => {
  const table: [string, boolean, boolean, boolean, boolean, boolean][] = [
    // filter                                   device bridge operator viewer site
    ["$aws/things/dev-1/shadow/update/accepted", true, false, true, true, false],
    ["$umbra/things/dev-1/#", true, false, true, true, false],
    ["$umbra/things/dev-1", true, false, true, true, false],
    ["things/dev-1/telemetry", true, false, true, true, false],
    ["things/dev-1", true, false, true, true, false],
    ["$aws/things/pdu-7/shadow/#", false, true, true, true, false],
    ["things/ups-1/#", false, true, true, true, false],
    ["things/ups-12/#", false, false, true, true, false],
    // `+` or `#` at the thing level could match any thing.
    ["$aws/things/+/shadow/update/delta", false, false, true, true, false],
    ["things/+/telemetry", false, false, true, true, false],
    ["$umbra/things/#", false, false, true, true, false],
    ["+/things/+/shadow/#", false, false, true, true, false],
    ["#", false, false, true, true, false],
    ["+", false, false, true, true, false],
    // Empty levels name no thing.
    ["$umbra/things//shadow/get/accepted", false, false, true, true, false],
    ["things//telemetry", false, false, true, true, false],
    ["/things/dev-1", false, false, true, true, false],
    ["", false, false, true, true, false],
    ["plant/a/b", false, false, true, true, false],
    ["$SYS/#", false, false, true, true, false],
    // Could reach the relay or the sink of denied publishes.
    ["$umbra/#", false, false, false, false, false],
    ["$umbra/+", false, false, false, false, false],
    ["$umbra/+/x", false, false, false, false, false],
    ["$umbra/relay/#", false, false, false, false, false],
    ["$umbra/relay/x", false, false, false, false, false],
    ["$umbra/relay", false, false, false, false, false],
    // A site sees only its own relay topics.
    ["$umbra/relay/site-b/down", false, false, false, false, true],
    ["$umbra/relay/site-b/#", false, false, false, false, true],
    ["$umbra/relay/site-c/down", false, false, false, false, false],
    ["$umbra/relay/+/down", false, false, false, false, false],
  ];

  it.each(table)("%s", (filter, d, b, o, v, s) => {
    expect({
      device: maySubscribe(device, filter),
      bridge: maySubscribe(bridge, filter),
      operator: maySubscribe(operator, filter),
      viewer: maySubscribe(viewer, filter),
      site: maySubscribe(site, filter),
    }).toEqual({ device: d, bridge: b, operator: o, viewer: v, site: s });
  });

  it("lets anonymous (development) read like an operator", () => {
    expect(maySubscribe(ANONYMOUS, "#")).toBe(true);
    expect(maySubscribe(ANONYMOUS, "$aws/things/+/shadow/#")).toBe(true);
    expect(maySubscribe(ANONYMOUS, "$umbra/relay/#")).toBe(false);
  });

  it("pins a device to its own name whatever grant it was given", () => {
    const greedy = principal("dev-1", "device", "*");
    expect(maySubscribe(greedy, "things/dev-2/telemetry")).toBe(false);
    expect(shadowDenial(greedy, "dev-2", "get")).not.toBeNull();
  });
});

describe("mayPublish", () => {
  const table: [string, boolean, boolean, boolean, boolean, boolean][] = [
    // topic                                  device bridge operator viewer site
    ["$aws/things/dev-1/shadow/update", true, false, true, false, false],
    ["$umbra/things/dev-1/shadow/get", true, false, true, true, false],
    ["$aws/things/dev-1/shadow/name/cfg/get", true, false, true, true, false],
    // Telemetry: the thing's own device or a bridge granted it; not operators (not even scoped ones).
    ["things/dev-1/telemetry", true, false, false, false, false],
    ["things/dev-1/telemetry/temp/c", true, false, false, false, false],
    ["things/dev-2/telemetry", false, false, false, false, false],
    ["things/pdu-7/telemetry", false, true, false, false, false],
    ["things/pdu-7/telemetry/watts", false, true, false, false, false],
    ["things/pdu-7/telemetryx", false, true, true, false, false],
    ["$aws/things/ups-1/shadow/update", false, true, true, false, false],
    ["$aws/things/ups-12/shadow/get", false, false, true, true, false],
    ["$umbra/things/pdu-7/shadow/delete", false, true, true, false, false],
    // Viewers: get requests only, not a reply topic nor a look-alike under `things/`.
    ["$umbra/things/pdu-7/shadow/get/accepted", false, true, true, false, false],
    ["things/pdu-7/shadow/get", false, true, true, false, false],
    ["plant/a/b", false, false, true, false, false],
    ["$umbra/relay/x", false, false, false, false, false],
    ["$umbra/relay/site-b/up", false, false, false, false, true],
    ["$umbra/relay/site-c/up", false, false, false, false, false],
    ["$umbra/relayx", false, false, true, false, false],
  ];

  it.each(table)("%s", (topic, d, b, o, v, s) => {
    expect({
      device: mayPublish(device, topic),
      bridge: mayPublish(bridge, topic),
      operator: mayPublish(operator, topic),
      viewer: mayPublish(viewer, topic),
      site: mayPublish(site, topic),
    }).toEqual({ device: d, bridge: b, operator: o, viewer: v, site: s });
  });

  it("lets anonymous publish anything but the relay", () => {
    expect(mayPublish(ANONYMOUS, "plant/a")).toBe(true);
    expect(mayPublish(ANONYMOUS, "things/any-1/telemetry")).toBe(true);
    expect(mayPublish(ANONYMOUS, "$umbra/relay/x")).toBe(false);
  });
});

describe("shadowDenial", () => {
  const D = { desired: true, reported: false };
  const R = { desired: false, reported: true };
  const both = { desired: true, reported: true };

  it("devices and bridges: every operation on their own things, nothing else", () => {
    for (const op of ["get", "update", "delete"] as const) {
      expect(shadowDenial(device, "dev-1", op, both), op).toBeNull();
      expect(shadowDenial(device, "dev-2", op), op).toMatch(/may not access/);
      expect(shadowDenial(bridge, "ups-1", op, R), op).toBeNull();
      expect(shadowDenial(bridge, "ups-12", op, R), op).toMatch(/may not access/);
    }
  });

  it("operators: get anything; desired and delete within the scope; never reported", () => {
    expect(shadowDenial(operator, "rack-9", "get")).toBeNull();
    expect(shadowDenial(operator, "pdu-7", "update", D)).toBeNull();
    expect(shadowDenial(operator, "pdu-7", "delete")).toBeNull();
    expect(shadowDenial(operator, "rack-9", "update", D)).toMatch(/not granted/);
    expect(shadowDenial(operator, "rack-9", "delete")).toMatch(/not granted/);
    expect(shadowDenial(operator, "pdu-7", "update", R)).toMatch(/reported/);
    expect(shadowDenial(operator, "pdu-7", "update", both)).toMatch(/reported/);
    // An update that names neither section (e.g. only a version) writes nothing a scope forbids.
    expect(shadowDenial(operator, "pdu-7", "update")).toBeNull();
  });

  it("viewers read, sites do nothing, anonymous does everything", () => {
    expect(shadowDenial(viewer, "rack-9", "get")).toBeNull();
    expect(shadowDenial(viewer, "rack-9", "update", D)).toMatch(/read/);
    expect(shadowDenial(viewer, "rack-9", "delete")).toMatch(/read/);
    for (const op of ["get", "update", "delete"] as const) {
      expect(shadowDenial(site, "pdu-7", op), op).not.toBeNull();
      expect(shadowDenial(ANONYMOUS, "pdu-7", op, both), op).toBeNull();
    }
  });
});

describe("mayRelay: alarm records", () => {
  const site = principal("edge-1", "site", "rack12-*");
  it("a site relays alarm records of the things its grant covers, and no others", () => {
    expect(mayRelay(site, "umbra/alarms/edge-1/rack12/overload/rack12-pdu")).toBe(true);
    // A site below it (transitive relay): the thing decides, not the site named in the topic.
    expect(mayRelay(site, "umbra/alarms/edge-9/rack12/overload/rack12-pdu")).toBe(true);
    expect(mayRelay(site, "umbra/alarms/edge-1/core/overload/core-pdu")).toBe(false);
    expect(mayRelay(site, "umbra/alarms/edge-1/rack12/overload")).toBe(false);
    expect(mayRelay(site, "umbra/alarms/edge-1/rack12/overload/bad thing")).toBe(false);
    expect(
      mayRelay(principal("ops", "operator", "*"), "umbra/alarms/edge-1/rack12/overload/rack12-pdu"),
    ).toBe(false);
  });
});
