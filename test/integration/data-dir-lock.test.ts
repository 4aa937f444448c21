import { describe, expect, it } from "vitest";
import { spawnNode, startTestNode } from "../helpers/node.ts";

describe("data dir lock", () => {
  it("refuses a second node on a data dir that a running node holds, and frees it on close", async () => {
    const first = await startTestNode();
    await expect(spawnNode(["--data-dir", first.dataDir])).rejects.toThrow(/in use by another Umbra node/);
    await first.stop({ keepData: true });
    const second = await spawnNode(["--data-dir", first.dataDir]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});
