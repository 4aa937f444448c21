import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserCheck, launchChromium, newUserContext, SCREENSHOTS } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword, signInWithToken } from "../helpers/console-page.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";

/**
 * The thing page's history in Debian's chromium against a real secure node and an mqtt.js device:
 * the timeline says who changed what, from which site, with which clientToken; a diff between two
 * versions; the shadow as it was; per-leaf blame; a new change appears without a reload. A viewer
 * reads the history and is offered no edit.
 */
const check = browserCheck();
const THING = "pdu-h1";

describe.skipIf(!check.run)("console shadow history in chromium", { retry: 1 }, () => {
  let node: TestNode;
  let browser: Browser;
  let password: string;
  let viewerToken: string;
  let device: MqttClient | undefined;
  const report = (reported: object, clientToken: string) =>
    device?.publishAsync(
      `$umbra/things/${THING}/shadow/update`,
      JSON.stringify({ state: { reported }, clientToken }),
      {
        qos: 1,
      },
    );

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    node = await startTestNode({ allowAnonymous: false, site: "core" });
    password = node.identities.add("alice", "operator", "*");
    viewerToken = node.identities.createToken("victor", "viewer", "*").token;
    const devicePassword = node.identities.add(THING, "device", THING);
    device = await connectClient(node.mqttUrl, {
      clientId: THING,
      username: THING,
      password: devicePassword,
    });
    await report({ outlet1: "off", watts: 500 }, "boot-1");
    await eventually(() => expect(node.service.peek({ thing: THING, shadow: "" })?.version).toBe(1), 15_000);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    device?.end(true);
    await browser?.close();
    await node?.stop();
  });

  it("shows who changed what, diffs two versions, shows the shadow as it was and blames each leaf", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      await page.goto(`/#/things/${THING}`);
      await page.getByRole("heading", { name: THING }).waitFor();
      const history = page.getByTestId("history-table");
      await history.locator('tr[data-version="1"]').waitFor();
      expect(await history.locator('tr[data-version="1"]').textContent()).toContain(`${THING} (device)`);
      expect(await history.locator('tr[data-version="1"]').textContent()).toContain("boot-1");

      // The operator sets desired on the page; the device reports what it was told.
      await page.getByLabel(/Desired state/).fill('{"outlet1": "on"}');
      await page.getByRole("button", { name: "Save desired" }).click();
      // The timeline follows the shadow live: the operator's change, then the device's.
      const v2 = history.locator('tr[data-version="2"]');
      await expect.poll(() => v2.textContent()).toContain("alice (operator)");
      expect(await v2.textContent()).toContain('desired.outlet1 = "on"');
      expect(await v2.textContent()).toContain("core");
      await report({ outlet1: "on", watts: 610 }, "dev-42");
      const v3 = history.locator('tr[data-version="3"]');
      await expect.poll(() => v3.textContent()).toContain("dev-42");
      expect(await v3.textContent()).toContain('reported.outlet1 = "on"');
      expect(await v3.textContent()).toContain("reported.watts = 610");

      // Diff between versions 1 and 3.
      await page.getByLabel("Compare version or time").fill("1");
      await page.getByLabel("with").fill("3");
      await page.getByRole("button", { name: "Show diff" }).click();
      const diff = page.getByTestId("diff");
      await diff.getByText("v1 → v3").waitFor();
      const rows = diff.locator("tbody tr");
      await expect.poll(() => rows.count()).toBe(3);
      expect(await diff.locator("tr", { hasText: "desired.outlet1" }).textContent()).toMatch(/absent\s*"on"/);
      expect(await diff.locator("tr", { hasText: "reported.outlet1" }).textContent()).toMatch(/"off"\s*"on"/);
      await expectAccessible(page, "thing history and diff");
      await page.screenshot({ path: join(SCREENSHOTS, "history.png"), fullPage: true });
      // A version beyond the current one is a plain error.
      await page.getByLabel("with").fill("99");
      await page.getByRole("button", { name: "Show diff" }).click();
      await expect.poll(() => diff.getByRole("alert").textContent()).toContain("does not exist");

      // The shadow as it was at version 1: no desired, outlet1 off.
      await history.getByRole("button", { name: "View v1" }).click();
      const asWas = page.getByTestId("as-it-was");
      await expect.poll(() => asWas.textContent()).toContain('"outlet1": "off"');
      expect(await asWas.textContent()).not.toContain('"on"');

      // Blame: who last wrote each leaf.
      await page.getByRole("button", { name: "Blame" }).click();
      const blame = page.getByTestId("blame-table");
      await expect
        .poll(() => blame.locator('tr[data-leaf="desired.outlet1"]').textContent())
        .toContain("alice (operator)");
      expect(await blame.locator('tr[data-leaf="reported.outlet1"]').textContent()).toContain("dev-42");
      expect(await blame.locator('tr[data-leaf="reported.outlet1"]').textContent()).toContain(
        `${THING} (device)`,
      );
      await expectAccessible(page, "blame");
      await page.getByTestId("history").screenshot({ path: join(SCREENSHOTS, "blame.png") });
    } finally {
      await context.close();
    }
  }, 120_000);

  it("lets a viewer read the history but offers no edit", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithToken(page, viewerToken);
      await page.goto(`/#/things/${THING}`);
      await page.getByTestId("history-table").locator('tr[data-version="1"]').waitFor();
      expect(await page.getByTestId("desired-editor").count()).toBe(0);
      await expectAccessible(page, "history (viewer)");
    } finally {
      await context.close();
    }
  }, 60_000);
});
