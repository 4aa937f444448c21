import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { browserCheck, launchChromium, newUserContext, SCREENSHOTS } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword, signInWithToken } from "../helpers/console-page.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";

/**
 * The thing page's inventory and the identities' password dates in Debian's chromium against a real
 * secure node: an mqtt.js device fills attributes (marked "filled by device"), an operator edits them
 * on the page (saved with origin operator, the node's 400 and 409 shown), an operator bound to a system
 * sees the node's 403 naming the system, a viewer gets no form, and a rotated password shows when it
 * was set and until when the old one works.
 */
const check = browserCheck();
const THING = "pdu-i1";

describe.skipIf(!check.run)("console inventory and password dates in chromium", { retry: 1 }, () => {
  let node: TestNode;
  let browser: Browser;
  let password: string;
  let boundPassword: string;
  let viewerToken: string;
  let device: MqttClient | undefined;
  const fleet = () => (node.extensions.get("fleet") as FleetExtension).fleet;
  const version = () => fleet().attributes.get(THING)?.version ?? 0;
  /** The device states what it knows, as the SDK's setAttributes does (over MQTT, origin device). */
  const deviceSays = async (attributes: object) => {
    const before = version();
    await device?.publishAsync(`$umbra/things/${THING}/attributes/update`, JSON.stringify({ attributes }), {
      qos: 1,
    });
    await eventually(() => expect(version()).toBeGreaterThan(before), 15_000);
  };
  const row = (page: Page, key: string) =>
    page.getByTestId("inventory-table").locator(`tr[data-key="${key}"]`);
  const field = (page: Page, key: string) =>
    page.getByTestId("inventory-editor").locator(`input[name="${key}"]`);

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    node = await startTestNode({ allowAnonymous: false, site: "core" });
    password = node.identities.add("alice", "operator", "*");
    boundPassword = node.identities.add("ops-b", "operator", "*");
    viewerToken = node.identities.createToken("victor", "viewer", "*").token;
    fleet().systems.put("rack-b", { things: ["pdu-b1"] });
    fleet().grants.grant("ops-b", "rack-b");
    const devicePassword = node.identities.add(THING, "device", THING);
    device = await connectClient(node.mqttUrl, {
      clientId: THING,
      username: THING,
      password: devicePassword,
    });
    await deviceSays({ type: "pdu", vendor: "APC", model: "AP8941", location: { rack: "a4" } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    device?.end(true);
    await browser?.close();
    await node?.stop();
  });

  it("shows who filled each attribute and saves an operator's edit with origin operator", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      // The fleet lists attributes; a value links to the thing's inventory.
      await page.goto("/#/?q=attributes.type:pdu");
      await page.getByTestId("fleet-table").getByRole("link", { name: "APC" }).click();
      await page.getByRole("heading", { name: "Inventory", exact: true }).waitFor();
      expect(page.url()).toContain(`#/things/${THING}?view=inventory`);

      await expect.poll(() => row(page, "vendor").textContent()).toContain("APC");
      expect(await row(page, "vendor").textContent()).toContain("filled by device");
      expect(await row(page, "location.rack").textContent()).toContain("filled by device");
      expect(await page.getByTestId("inventory-version").textContent()).toContain("Version 1");
      await expectAccessible(page, "thing inventory");

      // Edit: a new key, a device-filled key taken over, a key cleared, a label added.
      await field(page, "owner").fill("facilities");
      await field(page, "location.rack").fill("a7");
      await field(page, "model").fill("");
      await page.getByRole("button", { name: "Add label" }).click();
      await page.getByLabel("Label name 1").fill("os");
      await page.getByLabel("Value 1").fill("linux");
      await page.getByRole("button", { name: "Save inventory" }).click();
      await expect.poll(() => page.getByTestId("inventory-status").textContent()).toBe("Saved: version 2");
      await expect.poll(() => row(page, "owner").textContent()).toContain("set by operator");
      expect(await row(page, "location.rack").textContent()).toMatch(/a7\s*set by operator/);
      expect(await row(page, "labels.os").textContent()).toMatch(/linux\s*set by operator/);
      expect(await row(page, "vendor").textContent()).toContain("filled by device");
      expect(await row(page, "model").count()).toBe(0);
      const stored = fleet().attributes.get(THING);
      expect(stored?.attributes).toMatchObject({
        owner: "facilities",
        location: { rack: "a7" },
        labels: { os: "linux" },
      });
      expect(stored?.attributes.model).toBeUndefined();
      expect(stored?.origins).toMatchObject({
        owner: "operator",
        vendor: "device",
        location: { rack: "operator" },
      });

      // A device's write shows live, marked as the device's; the operator's rack stays.
      await deviceSays({ serial: "ZA1234", location: { rack: "a4" } });
      await expect
        .poll(() => row(page, "serial").textContent(), { timeout: 15_000 })
        .toContain("filled by device");
      expect(await row(page, "location.rack").textContent()).toContain("a7");
      await page.screenshot({ path: join(SCREENSHOTS, "inventory.png"), fullPage: true });

      // The node's 400 names the field.
      await field(page, "location.unit").fill("top");
      await page.getByRole("button", { name: "Save inventory" }).click();
      await expect
        .poll(() => page.getByTestId("inventory-status").textContent())
        .toContain("Not accepted (400): location.unit must be an integer");

      // A change by the device while the operator edits: the node's 409, nothing written.
      const at = version();
      await field(page, "location.unit").fill("12");
      await deviceSays({ serial: "ZA9999" });
      await page.getByRole("button", { name: "Save inventory" }).click();
      await expect
        .poll(() => page.getByTestId("inventory-status").textContent())
        .toContain(`Version conflict (409): you edited version ${at}`);
      expect(fleet().attributes.get(THING)?.attributes.location).not.toHaveProperty("unit");
      // The page has followed the device's write meanwhile; reloading starts from it.
      await expect
        .poll(() => page.getByTestId("inventory-version").textContent())
        .toContain(`Version ${version()}`);
      await page.getByRole("button", { name: "Reload current" }).click();
      await field(page, "location.unit").fill("12");
      await page.getByRole("button", { name: "Save inventory" }).click();
      await expect.poll(() => row(page, "location.unit").textContent()).toMatch(/12\s*set by operator/);
      await expectAccessible(page, "thing inventory after errors");
    } finally {
      await context.close();
    }
  }, 120_000);

  it("shows the node's 403 to an operator bound to a system the thing is not in", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "ops-b", boundPassword);
      await page.goto(`/#/things/${THING}`);
      await field(page, "owner").waitFor();
      await field(page, "owner").fill("ops-b");
      await page.getByRole("button", { name: "Save inventory" }).click();
      await expect
        .poll(() => page.getByTestId("inventory-status").textContent())
        .toBe("Refused (403): operator 'ops-b' may write attributes only for members of system rack-b");
      expect(fleet().attributes.get(THING)?.attributes.owner).toBe("facilities");
    } finally {
      await context.close();
    }
  }, 60_000);

  it("lets a viewer read the inventory but offers no form", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithToken(page, viewerToken);
      await page.goto(`/#/things/${THING}`);
      await expect.poll(() => row(page, "vendor").textContent()).toContain("filled by device");
      expect(await row(page, "owner").textContent()).toContain("set by operator");
      expect(await page.getByTestId("inventory-editor").count()).toBe(0);
      await expectAccessible(page, "thing inventory (viewer)");
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows when each password was set and until when a rotated device's old one works", async () => {
    const rotation = node.identities.rotatePassword(THING, "device", { graceMs: 3_600_000 });
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      await page.goto("/#/identities");
      const deviceRow = page.getByTestId("identities-table").locator(`tr[data-identity="${THING}"]`);
      const grace = deviceRow.getByTestId("grace");
      // Seen once in a full-suite run: the page showed no grace badge for 15 s (not reproduced alone in
      // 8 runs). Re-read the page while waiting, and say what the API returned if it never shows.
      await deviceRow.waitFor();
      await expect
        .poll(
          async () => {
            if ((await grace.count()) > 0) return "shown";
            await page.reload();
            await deviceRow.waitFor();
            return page.evaluate(async () =>
              JSON.stringify(
                await (await fetch("/identities", { headers: { accept: "application/json" } })).json(),
              ),
            );
          },
          { timeout: 30_000, interval: 1_000 },
        )
        .toBe("shown");
      const shown = await page.evaluate(
        ({ set, until }) => [new Date(set).toLocaleString(), new Date(until).toLocaleString()],
        { set: rotation.setAt, until: rotation.previousUntil ?? 0 },
      );
      expect(await grace.textContent()).toBe(`old password until ${shown[1]}`);
      expect(await deviceRow.locator('td[data-col="password-set"]').textContent()).toBe(shown[0]);
      // Another identity, never rotated: set when it was created, no grace.
      const alice = page.getByTestId("identities-table").locator('tr[data-identity="alice"]');
      expect(await alice.locator('td[data-col="password-set"]').textContent()).not.toBe("—");
      expect(await alice.getByTestId("grace").count()).toBe(0);
      // Rotation is on the CLI only: said in the help, not offered as a button.
      expect(await page.getByTestId("rotate-help").textContent()).toContain("umbra device rotate");
      expect(await page.getByRole("button", { name: /rotate/i }).count()).toBe(0);
      await expectAccessible(page, "identities with password dates");
      await page.screenshot({ path: join(SCREENSHOTS, "identities-rotation.png"), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);
});
