import { describe, expectTypeOf, it } from "vitest";
import type { LinkStats } from "../../broker/relay/link-types.ts";
import type { PeerStats } from "../../console/src/peer-stats.ts";

/**
 * The console keeps its own copy of GET /peers' LinkStats (it bundles none of the broker's code): every
 * field it reads must exist in LinkStats with the same type. Checked by the type checker (`npx tsc
 * --noEmit`, which covers test/): a field renamed or retyped on one side fails it.
 */
describe("console peer stats", () => {
  it("is LinkStats restricted to the fields the Sites page shows", () => {
    expectTypeOf<Pick<LinkStats, keyof PeerStats>>().toEqualTypeOf<PeerStats>();
    expectTypeOf<LinkStats["epochSplits"]>().toEqualTypeOf<PeerStats["epochSplits"]>();
  });
});
