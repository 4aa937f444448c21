import { describe, expect, it } from "vitest";
import { scavengeFlag } from "../../broker/gc-tuning.ts";

describe("scavengeFlag", () => {
  it("turns parallel scavenging off on one or two cores only", () => {
    expect(scavengeFlag(1, [])).toBe("--no-parallel-scavenge");
    expect(scavengeFlag(2, ["--enable-source-maps"])).toBe("--no-parallel-scavenge");
    expect(scavengeFlag(3, [])).toBeNull();
    expect(scavengeFlag(16, [])).toBeNull();
  });

  it("leaves V8 alone when the node's own flags choose", () => {
    expect(scavengeFlag(2, ["--parallel-scavenge"])).toBeNull();
    expect(scavengeFlag(2, ["--no-parallel-scavenge"])).toBeNull();
    expect(scavengeFlag(2, ["--scavenger-max-new-space-capacity-mb=8"])).toBeNull();
  });
});
