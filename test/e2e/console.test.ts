import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserCheck, launchChromium, newUserContext, SCREENSHOTS } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword, signInWithToken } from "../helpers/console-page.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { startSite } from "../helpers/relay-sites.ts";

/**
 * The web console in Debian's chromium, against a real secure node: an operator signs in, finds a
 * thing, sets desired and watches the delta appear and close when an mqtt.js device reports; adds and
 * revokes a device and sees it go offline; a viewer is offered no edits; every page passes axe-core
 * without serious violations; the page says so when the node is gone. Screenshots go to docs/console/.
 */
const check = browserCheck();
const SEED = 40;

describe.skipIf(!check.run)("web console in chromium", { retry: 1 }, () => {
  let node: TestNode;
  let edge: TestNode;
  let browser: Browser;
  let operatorPassword: string;
  let viewerToken: string;
  let device: MqttClient | undefined;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    node = await startTestNode({ allowAnonymous: false, site: "core" });
    operatorPassword = node.identities.add("alice", "operator", "*");
    viewerToken = node.identities.createToken("victor", "viewer", "*").token;
    // A fleet to look at: PDUs with desired and reported state, some with a pending delta.
    for (let i = 1; i <= SEED; i++) {
      const name = `rack-${String.fromCharCode(97 + (i % 4))}-pdu-${String(i).padStart(2, "0")}`;
      const desired = { outlet1: "on", limitWatts: 2000 + i * 10 };
      const reported = { outlet1: i % 5 === 0 ? "off" : "on", limitWatts: 2000 + i * 10, firmware: "2.4.1" };
      const r = await node.service.update(
        { thing: name, shadow: "" },
        JSON.stringify({ state: { desired, reported } }),
      );
      expect(r.ok).toBe(true);
    }
    // A child site dialling this node, for the Sites page.
    edge = await startSite({ site: "edge-1", parents: [{ node }] });
    await edge.service.update(
      { thing: "edge-ups-1", shadow: "" },
      JSON.stringify({ state: { reported: { load: 41 } } }),
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    device?.end(true);
    await browser?.close();
    await edge?.stop();
    await node?.stop();
  });

  it("signs an operator in, sets desired, shows the delta until the device reports, then revokes the device", async () => {
    const { context, page, requests } = await newUserContext(browser, node.httpUrl);
    try {
      // Sign-in page (and a wrong password is refused plainly).
      await page.goto("/");
      await page.getByRole("heading", { name: "Sign in to Umbra" }).waitFor();
      await expectAccessible(page, "sign-in");
      await page.screenshot({ path: join(SCREENSHOTS, "signin.png") });
      await page.getByLabel("User name", { exact: true }).fill("alice");
      await page.getByLabel("Password").fill("wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong user name");
      await signInWithPassword(page, "alice", operatorPassword);

      // The session cookie is HttpOnly and SameSite=Strict.
      const cookie = (await context.cookies()).find((c) => c.name === "umbra_session");
      expect(cookie?.httpOnly).toBe(true);
      expect(cookie?.sameSite).toBe("Strict");

      // Identities: add a device; its credentials are shown once, with a mosquitto_pub line.
      await page.getByRole("link", { name: "Identities" }).click();
      await page.getByLabel("Thing name").fill("pdu-7");
      await page.getByRole("button", { name: "Add device" }).click();
      const password = (await page.getByTestId("new-password").textContent()) ?? "";
      expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      await page.getByTestId("mosquitto-line").waitFor();
      const line = (await page.getByTestId("mosquitto-line").textContent()) ?? "";
      expect(line).toContain(`-p ${node.mqttPort}`);
      expect(line).toContain(`-u pdu-7 -P '${password}'`);
      await expectAccessible(page, "identities");
      await page.screenshot({
        path: join(SCREENSHOTS, "identities.png"),
        fullPage: true,
        mask: [page.getByTestId("new-password"), page.getByTestId("mosquitto-line")],
      });
      await page.getByRole("button", { name: "Done, I stored it" }).click();

      // The device connects with those credentials and reports.
      device = await connectClient(node.mqttUrl, { clientId: "pdu-7", username: "pdu-7", password });
      const inbox = new Inbox(device);
      await device.subscribeAsync("$umbra/things/pdu-7/shadow/update/delta");
      await device.publishAsync(
        "$umbra/things/pdu-7/shadow/update",
        JSON.stringify({ state: { reported: { outlet1: "off", watts: 812 } } }),
      );
      for (let i = 0; i < 30; i++) {
        const ts = Date.now() - (30 - i) * 60_000;
        await device.publishAsync(
          "things/pdu-7/telemetry",
          JSON.stringify({ ts, watts: 800 + 40 * Math.sin(i / 4) }),
        );
      }

      // A named shadow beside the classic one.
      const named = await node.service.update(
        { thing: "pdu-7", shadow: "power" },
        JSON.stringify({ state: { reported: { psu1: "ok", psu2: "failed" } } }),
      );
      expect(named.ok).toBe(true);

      // Fleet: find it with the filter; it is connected.
      await page.getByRole("link", { name: "Fleet" }).click();
      await page.getByRole("heading", { name: "Fleet" }).waitFor();
      await page.locator('tr[data-thing="rack-a-pdu-04"]').waitFor();
      await expectAccessible(page, "fleet");
      await page.screenshot({ path: join(SCREENSHOTS, "fleet.png"), fullPage: true });
      // A thing created while the page is open is announced, not jumped into the table.
      const created = await node.service.update(
        { thing: "rack-z-new-1", shadow: "" },
        JSON.stringify({ state: { reported: { outlet1: "on" } } }),
      );
      expect(created.ok).toBe(true);
      await page.getByTestId("fleet-created").getByRole("button", { name: "Refresh" }).click();
      await page.locator('tr[data-thing="rack-z-new-1"]').waitFor();
      await page.getByLabel("Filter by name").fill("pdu-7");
      const row = page.locator('tr[data-thing="pdu-7"]');
      await row.locator('[data-connected="true"]').waitFor();
      await expect.poll(() => page.locator("tbody tr").count()).toBe(1);

      // Thing: set desired; the delta appears, live.
      await row.getByRole("link", { name: "pdu-7" }).click();
      await page.getByRole("heading", { name: "pdu-7" }).waitFor();
      await page.getByTestId("presence").locator('[data-connected="true"]').waitFor();
      await page.getByLabel(/Desired state/).fill('{"outlet1": "on"}');
      await page.getByRole("button", { name: "Save desired" }).click();
      await expect.poll(() => page.getByTestId("save-status").textContent()).toMatch(/Accepted: version \d+/);
      await expect.poll(() => page.getByTestId("panel-delta").textContent()).toContain('"outlet1": "on"');
      const delta = await inbox.nextJson<{ state: Record<string, unknown> }>(
        "$umbra/things/pdu-7/shadow/update/delta",
        10_000,
      );
      expect(delta.state).toEqual({ outlet1: "on" });
      await page.getByRole("img", { name: /watts over time/ }).waitFor();
      await expectAccessible(page, "thing");
      await page.screenshot({ path: join(SCREENSHOTS, "thing.png"), fullPage: true });

      // The device reports what it was told: the delta closes, without a reload.
      await device.publishAsync(
        "$umbra/things/pdu-7/shadow/update",
        JSON.stringify({ state: { reported: { outlet1: "on" } } }),
      );
      await expect.poll(() => page.getByTestId("panel-delta").textContent()).toContain("In sync");

      // Telemetry: a narrower range shows fewer of the 30 one-minute samples.
      const points = async () =>
        Number(/(\d+) points/.exec((await page.getByTestId("telemetry").textContent()) ?? "")?.[1]);
      expect(await points()).toBe(30);
      await page.getByRole("button", { name: "15 min" }).click();
      await expect.poll(points).toBeLessThan(17);

      // Named shadows have their own tab.
      await page.getByRole("link", { name: "power" }).click();
      await expect.poll(() => page.getByTestId("panel-reported").textContent()).toContain('"psu2": "failed"');
      await page.getByRole("link", { name: "classic" }).click();
      // The named shadow has no desired: seeing outlet1 there means the classic shadow is shown again.
      await expect.poll(() => page.getByTestId("panel-desired").textContent()).toContain('"outlet1": "on"');

      // An edit that started from an older version is refused with 409, shown plainly.
      await page.getByLabel(/Desired state/).fill('{"outlet1": "off"}');
      const r = await node.service.update(
        { thing: "pdu-7", shadow: "" },
        JSON.stringify({ state: { desired: { note: "changed elsewhere" } } }),
      );
      expect(r.ok).toBe(true);
      await expect
        .poll(() => page.getByTestId("version").textContent())
        .toContain(String(r.ok && r.body.version));
      await page.getByRole("button", { name: "Save desired" }).click();
      await expect
        .poll(() => page.getByTestId("save-status").textContent())
        .toContain("Version conflict (409)");

      // Revoke the device: its session is closed and the thing goes offline on the open page.
      const closed = new Promise<void>((resolve) => device?.once("close", () => resolve()));
      await page.getByRole("link", { name: "Identities" }).click();
      await page.getByRole("button", { name: "Revoke pdu-7" }).click();
      await page.getByRole("button", { name: "Yes, revoke" }).click();
      await page
        .locator('tr[data-identity="pdu-7"]')
        .getByText(/revoked/)
        .waitFor();
      await closed;
      await page.getByRole("link", { name: "Fleet" }).click();
      await page.getByLabel("Filter by name").fill("pdu-7");
      await page.locator('tr[data-thing="pdu-7"] [data-connected="false"]').waitFor();

      // Sites: the child site that dials this node.
      await page.getByRole("link", { name: "Sites" }).click();
      await page.getByTestId("peers-table").getByText("edge-1").waitFor();
      await expectAccessible(page, "sites");
      await page.screenshot({ path: join(SCREENSHOTS, "sites.png"), fullPage: true });

      // Nothing was fetched from anywhere but the node.
      const origin = new URL(node.httpUrl).origin;
      expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("offers a viewer no edits, and the node refuses a viewer's write", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithToken(page, viewerToken);
      await page.goto("/#/things/rack-b-pdu-05");
      await page.getByTestId("panel-delta").waitFor();
      expect(await page.getByTestId("desired-editor").count()).toBe(0);
      await page.getByRole("link", { name: "Identities" }).click();
      await page.getByTestId("identities-table").waitFor();
      expect(await page.getByRole("button", { name: "Add device" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Revoke/ }).count()).toBe(0);
      // Even with its session and CSRF token, a viewer's write is refused by the node.
      const status = await page.evaluate(async () => {
        const s = await (await fetch("/session")).json();
        const r = await fetch("/things/rack-b-pdu-05/shadow", {
          method: "POST",
          headers: { "content-type": "application/json", "x-umbra-csrf": s.csrf },
          body: JSON.stringify({ state: { desired: { outlet1: "off" } } }),
        });
        return r.status;
      });
      expect(status).toBe(403);

      // Revoking the token the viewer signed in with ends the session: the open page returns to sign-in.
      expect(node.identities.revokeToken("victor")).toBe(1);
      await page.getByRole("heading", { name: "Sign in to Umbra" }).waitFor({ timeout: 30_000 });
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("session ended");
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows a clear error when the node is gone", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", operatorPassword);
      await page.locator('[data-link="live"]').waitFor();
      await edge.stop();
      await node.stop({ keepData: false });
      await page.getByTestId("node-lost").waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(SCREENSHOTS, "node-lost.png") });
    } finally {
      await context.close();
    }
  }, 60_000);
});
