import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { ShadowQuota } from "../../broker/auth/shadow-quota.ts";
import { openDatabase } from "../../broker/store/database.ts";
import { principal } from "../../shared/acl.ts";
import { NODE_WRITER } from "../../shared/site-presence.ts";
import { tempDir } from "../helpers/node.ts";

// The node's reserved shadows (presence, attributes, systems: one per thing) are not counted against
// the per-identity cap that limits a device or bridge; a bridge of the same role still is.
describe("shadow quota and the node's own writes", () => {
  const dir = tempDir("umbra-quota-node-");
  const db = openDatabase(dir);
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("admits the node past the per-identity cap and refuses a bridge at it", () => {
    const quota = new ShadowQuota(db, { maxNamedShadows: 100, maxShadowsPerIdentity: 3 });
    // Admitted, not yet committed: pending creations count as much as stored ones.
    for (let i = 0; i < 10; i++) quota.admitNew({ thing: `t-${i}`, shadow: "$umbra-systems" }, NODE_WRITER);
    const bridge = principal("modbus", "bridge");
    for (let i = 0; i < 3; i++) quota.admitNew({ thing: `b-${i}`, shadow: "" }, bridge);
    expect(() => quota.admitNew({ thing: "b-3", shadow: "" }, bridge)).toThrow(/limit is 3/);
    // Another bridge principal with the node's name is counted (only the node's own object is exempt).
    const lookalike = principal("node", "bridge");
    for (let i = 0; i < 3; i++) quota.admitNew({ thing: `n-${i}`, shadow: "" }, lookalike);
    expect(() => quota.admitNew({ thing: "n-3", shadow: "" }, lookalike)).toThrow(/limit is 3/);
  });
});
