import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserCheck, launchChromium, newUserContext } from "../helpers/browser.ts";
import { signInWithPassword } from "../helpers/console-page.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * Many console tabs of one browser against one node. A browser opens at most 6 HTTP/1.1 connections
 * per host, shared by every tab of a profile, and each open event stream holds one for good: the
 * console keeps one stream per tab (docs/console.md), so five tabs on a thing page leave a sixth tab
 * room to load the thing, save desired and see the change live. With three streams per thing page
 * (as before), the sixth tab's requests queued forever ("Loading shadow…").
 */
const check = browserCheck();
const TABS = Number(process.env.UMBRA_CONSOLE_TABS ?? 5);
const THING = "tab-pdu-1";

describe.skipIf(!check.run)("console in many tabs", { retry: 1 }, () => {
  let node: TestNode;
  let browser: Browser;
  let password: string;

  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false, site: "core" });
    password = node.identities.add("alice", "operator", "*");
    const r = await node.service.update(
      { thing: THING, shadow: "" },
      JSON.stringify({ state: { desired: { outlet1: "on" }, reported: { outlet1: "on" } } }),
    );
    expect(r.ok).toBe(true);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  /** Opens the thing page in a new tab of `context` and waits until its shadow is shown. */
  const openThing = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`/#/things/${THING}`);
    await page.getByTestId("panel-desired").waitFor();
    await page
      .getByTestId("inventory")
      .getByText(/No attributes yet|Version/)
      .waitFor();
    return page;
  };

  it(`loads and edits a thing in a 6th tab while ${TABS} tabs show it`, async () => {
    const { context, page, requests } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      const tabs: Page[] = [page];
      await page.goto(`/#/things/${THING}`);
      await page.getByTestId("panel-desired").waitFor();
      while (tabs.length < TABS) tabs.push(await openThing(context));

      // The sixth tab loads the thing, its inventory and its history, and saves desired.
      const sixth = await openThing(context);
      await sixth.getByLabel(/Desired state/).fill('{"outlet1": "off"}');
      await sixth.getByRole("button", { name: "Save desired" }).click();
      await expect.poll(() => sixth.getByTestId("save-status").textContent()).toContain("Accepted");
      await expect
        .poll(() => sixth.getByTestId("panel-delta").textContent(), { timeout: 15_000 })
        .toContain('"outlet1": "off"');
      // Every other tab follows the change live on its one stream.
      for (const tab of tabs)
        await expect
          .poll(() => tab.getByTestId("panel-delta").textContent(), { timeout: 15_000 })
          .toContain('"outlet1": "off"');

      // An inventory edit made elsewhere shows in every tab.
      const res = await fetch(`${node.httpUrl}/things/${THING}/attributes`, {
        method: "PATCH",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${node.identities.createToken("ops", "operator", "*").token}`,
        },
        body: JSON.stringify({ model: "PX-9" }),
      });
      expect(res.status).toBe(200);
      for (const tab of [...tabs, sixth])
        await expect
          .poll(() => tab.getByTestId("inventory").textContent(), { timeout: 15_000 })
          .toContain("PX-9");
      // No page opened a stream of its own (the shadow's, the fleet query's).
      expect(requests.filter((u) => /\/shadow\/events|\/things\/stream/.test(u))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it("follows the thing live with a stream of the tab's own where the browser has no shared workers", async () => {
    const { context, page, requests } = await newUserContext(browser, node.httpUrl);
    try {
      await context.addInitScript(() => {
        delete (window as { SharedWorker?: unknown }).SharedWorker;
      });
      await signInWithPassword(page, "alice", password);
      await page.goto(`/#/things/${THING}`);
      await page.getByTestId("panel-desired").waitFor();
      const r = await node.service.update(
        { thing: THING, shadow: "" },
        JSON.stringify({ state: { desired: { outlet1: "cycle" } } }),
      );
      expect(r.ok).toBe(true);
      await expect
        .poll(() => page.getByTestId("panel-delta").textContent(), { timeout: 15_000 })
        .toContain('"outlet1": "cycle"');
      expect(requests.some((u) => u.endsWith("/console/stream-worker.js"))).toBe(false);
      expect(requests.filter((u) => u.endsWith("/console/api/events")).length).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  }, 120_000);
});
