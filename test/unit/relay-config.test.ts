import { describe, expect, it } from "vitest";
import { loadConfig } from "../../broker/config-load.ts";
import { linkOptions, outboxOptions, parentsOf } from "../../broker/relay/relay-config.ts";

const base = (env: Record<string, string>, file?: object) =>
  loadConfig({ env: { UMBRA_SITE: "edge-1", ...env }, flags: file as never });

describe("relay settings", () => {
  it("takes one parent from flags/env and more from the config file, with the default flush rule (1 s, HORAO's SYNC_MAX)", () => {
    const config = base(
      { UMBRA_PARENT: "mqtts://core:8883", UMBRA_PARENT_PASSWORD: "pw" },
      { parents: [{ name: "dr", url: "mqtt://dr:1883", user: "edge-1", password: "x", things: "pdu-*" }] },
    );
    const parents = parentsOf(config);
    expect(parents.map((p) => [p.name, p.user, p.things])).toEqual([
      ["core:8883", "edge-1", "*"],
      ["dr", "edge-1", "pdu-*"],
    ]);
    const o = linkOptions(config);
    expect([o.syncDeltaMs, o.syncMax, o.linkRate]).toEqual([1000, 1000, undefined]);
  });

  it("says what is wrong and where", () => {
    expect(() => parentsOf(base({ UMBRA_PARENT: "mqtt://core:1883" }))).toThrow(
      /--parent: needs 'password' or 'passwordFile' \(or env UMBRA_PARENT_PASSWORD\)/,
    );
    expect(() => parentsOf(base({ UMBRA_PARENT: "http://core", UMBRA_PARENT_PASSWORD: "p" }))).toThrow(
      /must be mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//,
    );
    expect(() =>
      parentsOf(base({}, { parents: [{ url: "mqtt://a:1", user: "u", passwordFile: "/nonexistent" }] })),
    ).toThrow(/parents\[0\]: cannot read passwordFile \/nonexistent/);
    expect(() =>
      parentsOf(
        base(
          {},
          {
            parents: [
              { url: "mqtt://a:1", user: "u", password: "p" },
              { url: "mqtt://a:1", user: "u", password: "p" },
            ],
          },
        ),
      ),
    ).toThrow(/two parents are named 'a:1'/);
    expect(() => base({ UMBRA_PARENTS: "{}" })).toThrow(/parents must be a JSON array of objects/);
  });

  it("reads the outbox bound and full policy, and the redial period of each parent", () => {
    expect(outboxOptions(base({}))).toEqual({});
    expect(
      outboxOptions(base({ UMBRA_RELAY_OUTBOX_BYTES: "1048576", UMBRA_RELAY_OUTBOX_POLICY: "drop-oldest" })),
    ).toEqual({ maxBytes: 1_048_576, policy: "drop-oldest" });
    expect(() => outboxOptions(base({ UMBRA_RELAY_OUTBOX_POLICY: "lose-some" }))).toThrow(
      /relayOutboxPolicy: 'lose-some' is not a policy; use refuse-new .* or drop-oldest/,
    );
    expect(() => outboxOptions(base({ UMBRA_RELAY_OUTBOX_BYTES: "10" }))).toThrow(/at least 1024 bytes/);
    const parents = (reconnectMs: unknown) =>
      parentsOf(base({}, { parents: [{ url: "mqtt://dr:1883", user: "e", password: "x", reconnectMs }] }));
    expect(parents(undefined)[0]?.reconnectMs).toBe(1000);
    expect(parents(250)[0]?.reconnectMs).toBe(250);
    expect(() => parents("soon")).toThrow(
      /parents\[0\]: 'reconnectMs' must be an integer from 10 to 3600000/,
    );
  });
});
