import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayExtension } from "../../broker/relay/relay-extension.ts";
import { browserCheck, launchChromium, newUserContext } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword } from "../helpers/console-page.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

const relay = (n: TestNode) => n.extensions.get("relay") as unknown as RelayExtension;

/**
 * The Sites page shows a shadow two sites cut (broker/relay/epoch-split.ts) with the fix, as
 * `umbra peers` does. Three real nodes as in relay-two-tops: core and dr both cut pdu-1 while their
 * child edge was away, so one of them refuses the other's base; that node's console, in Debian's
 * chromium, names the peer and the shadow.
 */
const check = browserCheck();

describe.skipIf(!check.run)("console Sites page: epoch splits", { retry: 1 }, () => {
  const nodes: TestNode[] = [];
  let browser: Browser;
  let split: TestNode;

  beforeAll(async () => {
    // One change per update (no deferred changes): both parents cut within four writes, before the child exists.
    const config = { epochAfterChanges: 3, epochShared: true, deferUpdates: 0 };
    const core = await startSite({ site: "core", config });
    const dr = await startSite({ site: "dr", config });
    nodes.push(core, dr);
    const pdu = addr("pdu-1");
    for (let i = 1; i <= 4; i++) {
      await write(core, pdu, { state: { desired: { core: i } } });
      await write(dr, pdu, { state: { desired: { dr: i } } });
    }
    const edge = await startSite({ site: "edge", parents: [{ node: core }, { node: dr }], config });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    await linkUp(edge, "parent:dr");
    await eventually(() => {
      const found = nodes.find((n) =>
        relay(n)
          .peers()
          .some((p) => p.epochSplits > 0),
      );
      expect(found).toBeDefined();
      split = found as TestNode;
    }, 20_000);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("names the peer, the split shadow and the fix under the peers table", async () => {
    const peer = relay(split)
      .peers()
      .find((p) => p.epochSplits > 0);
    const password = split.identities.add("alice", "operator", "*");
    const { context, page } = await newUserContext(browser, split.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      await page.getByRole("link", { name: "Sites" }).click();
      const table = page.getByTestId("peers-table");
      await table.waitFor();
      const row = table.getByRole("row", { name: new RegExp(peer?.peer ?? "?") });
      await expect(row.getByRole("cell").last().textContent()).resolves.toMatch(/^[1-9]/);
      const note = page.getByTestId("epoch-splits");
      await note.waitFor();
      const text = (await note.textContent()) ?? "";
      expect(text).toContain(peer?.peer);
      expect(text).toMatch(/1 shadow \(pdu-1\) with two bases for one epoch/);
      expect(text).toContain("epochShared: false");
      await expectAccessible(page, "sites with an epoch split");
    } finally {
      await context.close();
    }
  }, 60_000);
});
