import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { browserCheck, launchChromium, newUserContext, SCREENSHOTS } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword, signInWithToken } from "../helpers/console-page.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

/**
 * The console's fleet pages in Debian's chromium against a real core with a child site: the fleet
 * query box (a bad query shows its position), sort by a column, attribute columns, the total count and
 * paging over 10,000+ things; the systems tree with roll-ups and drill-down; the conflicts a partition
 * made. axe-core on every page; a viewer sees the same pages.
 */
const check = browserCheck();
const THINGS = 10_050;
const name = (i: number) => `bulk-${String(i).padStart(5, "0")}`;

describe.skipIf(!check.run)("console fleet, systems and conflicts in chromium", { retry: 1 }, () => {
  let core: TestNode;
  let edge: TestNode;
  let proxy: TcpProxy;
  let browser: Browser;
  let password: string;
  let viewerToken: string;
  const fleetOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    core = await startSite({ site: "core" });
    password = core.identities.add("alice", "operator", "*");
    viewerToken = core.identities.createToken("victor", "viewer", "*").token;
    // 10,050 things in batches (each batch is one group commit on the node).
    for (let start = 0; start < THINGS; start += 500) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(THINGS, start + 500); i++)
        batch.push(
          core.service.update(
            { thing: name(i), shadow: "" },
            JSON.stringify({ state: { reported: { temp: 20 + (i % 30) } } }),
          ),
        );
      await Promise.all(batch);
    }
    // A rack of PDUs with attributes, and systems over them.
    const fleet = fleetOf(core);
    for (let i = 1; i <= 6; i++) {
      const thing = `pdu-${i}`;
      await write(core, addr(thing), {
        state: { desired: { outlet1: "on" }, reported: { outlet1: i === 3 ? "off" : "on", temp: 30 + i } },
      });
      fleet.writeAttributes(
        thing,
        {
          type: "pdu",
          model: i % 2 ? "AP8941" : "AP7900",
          location: { room: "r1", rack: i <= 3 ? "a1" : "a2" },
        },
        "put",
      );
    }
    fleet.systems.put("rack-a1", { things: ["pdu-1", "pdu-2", "pdu-3"], description: "Rack A1, room 1" });
    fleet.systems.put("rack-a2", { things: ["pdu-4", "pdu-5", "pdu-6"] });
    fleet.systems.put("room-1", { systems: ["rack-a1", "rack-a2"] });

    // A child site; a partition during which both sites set the same leaf makes a conflict.
    proxy = await startTcpProxy(core.mqttPort);
    edge = await startSite({ site: "edge-1", parents: [{ node: core, url: proxy.url }] });
    await linkUp(edge, "parent:core");
    const a = addr("edge-pdu-1");
    await write(edge, a, { state: { reported: { outlet1: "on" } } });
    await converged([core, edge], [a], 30_000);
    proxy.cut();
    await write(edge, a, { state: { desired: { outlet1: "off" } } });
    await write(core, a, { state: { desired: { outlet1: "on" } } });
    proxy.restore();
    await converged([core, edge], [a], 30_000);
    await eventually(() => expect(fleet.conflicts().map((c) => c.thing)).toEqual(["edge-pdu-1"]), 20_000);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await proxy?.close();
    await core?.stop();
  });

  it("queries, sorts and pages the fleet; walks the systems tree; lists conflicts", async () => {
    const { context, page } = await newUserContext(browser, core.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      await expect.poll(() => page.getByTestId("fleet-total").textContent()).toBe(`${THINGS + 7} things`);
      await page.locator('tr[data-thing="bulk-00049"]').waitFor();

      // Paging over 10,000 things: the next page continues in name order.
      await page.getByRole("button", { name: "Next →" }).click();
      await page.locator('tr[data-thing="bulk-00099"]').waitFor();
      // Page 2 starts where page 1 ended, in name order, and stays (the name filter's debounce used to
      // send a reader who paged within 200 ms of the page's start back to page 1).
      await expect
        .poll(() => page.locator("tr[data-thing]").first().getAttribute("data-thing"), { timeout: 10_000 })
        .toBe("bulk-00050");
      expect(await page.locator('tr[data-thing="bulk-00049"]').count()).toBe(0);

      // A query with a mistake: the error names the position.
      const box = page.getByLabel("Fleet query");
      await box.fill("attributes.type:pdu AND shadow.reported.temp >");
      await page.getByRole("button", { name: "Run query" }).click();
      await expect
        .poll(() => page.getByTestId("query-error").textContent())
        .toMatch(/At character \d+: .*value/);
      await expectAccessible(page, "fleet query error");

      // The PDUs, with their attributes as columns; sorted by temperature, descending.
      await box.fill("attributes.type:pdu");
      await page.getByRole("button", { name: "Run query" }).click();
      await expect.poll(() => page.getByTestId("fleet-total").textContent()).toBe("6 things");
      await expect
        .poll(() => page.locator('tr[data-thing="pdu-1"] [data-col="attr-model"]').textContent())
        .toBe("AP8941");
      await page.getByRole("button", { name: "model" }).click();
      const order = () =>
        page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-thing") ?? ""));
      await expect.poll(async () => (await order()).slice(0, 3).sort()).toEqual(["pdu-2", "pdu-4", "pdu-6"]);
      await page.getByRole("button", { name: "model" }).click();
      await expect.poll(async () => (await order()).slice(0, 3).sort()).toEqual(["pdu-1", "pdu-3", "pdu-5"]);
      expect(await page.locator('th[aria-sort="descending"]').count()).toBe(1);
      // Live from the fleet stream: an attribute changes in place; a thing that stops matching says so.
      const fleet = fleetOf(core);
      fleet.writeAttributes("pdu-2", { model: "AP9999" }, "patch");
      await expect
        .poll(() => page.locator('tr[data-thing="pdu-2"] [data-col="attr-model"]').textContent())
        .toBe("AP9999");
      fleet.writeAttributes("pdu-4", { type: "ups" }, "patch");
      await page.locator('tr[data-thing="pdu-4"]').getByTestId("gone").waitFor();
      fleet.writeAttributes("pdu-4", { type: "pdu" }, "patch");
      expect(await page.locator('tr[data-thing="pdu-1"] [data-col="last-report"]').textContent()).toMatch(
        / ago$/,
      );
      // The delta pending on pdu-3 shows, and the name filter narrows the query.
      await expect
        .poll(() => page.locator('tr[data-thing="pdu-3"] [data-col="delta"]').textContent())
        .toContain("1 pending");
      await page.getByLabel("Filter by name").fill("pdu-3");
      await expect.poll(() => page.getByTestId("fleet-total").textContent()).toBe("1 thing");
      await page.getByLabel("Filter by name").fill("");
      await expectAccessible(page, "fleet query");
      await page.screenshot({ path: join(SCREENSHOTS, "fleet-query.png"), fullPage: true });

      // Systems: the tree with roll-ups; rack-a1 has one thing not converged.
      await page.getByRole("link", { name: "Systems" }).click();
      const tree = page.getByTestId("systems-table");
      await tree.locator('tr[data-system="room-1"] [data-col="things"]').getByText("6").waitFor();
      await expect
        .poll(() => tree.locator('tr[data-system="rack-a1"] [data-col="notConverged"]').textContent())
        .toBe("1");
      await expectAccessible(page, "systems");
      await page.screenshot({ path: join(SCREENSHOTS, "systems.png"), fullPage: true });
      // Drill down: rack-a1, then its things in the fleet.
      await tree.getByRole("link", { name: /rack-a1/ }).click();
      await page.getByRole("heading", { name: "rack-a1" }).waitFor();
      await page.getByText("Rack A1, room 1").waitFor();
      await expectAccessible(page, "system detail");
      await page.getByRole("link", { name: "Its things in the fleet" }).click();
      await expect.poll(() => page.getByTestId("fleet-total").textContent()).toBe("3 things");
      expect(await page.getByLabel("Fleet query").inputValue()).toBe("systems:rack-a1");

      // Conflicts: the leaf both sites wrote; writing the leaf again resolves it, live.
      await page.getByRole("link", { name: "Conflicts" }).click();
      const conflict = page.getByTestId("conflicts-table").locator('tr[data-thing="edge-pdu-1"]');
      await expect.poll(() => conflict.textContent()).toContain("outlet1");
      await expectAccessible(page, "conflicts");
      await page.screenshot({ path: join(SCREENSHOTS, "conflicts.png"), fullPage: true });
      const winner = core.service.peek(addr("edge-pdu-1")).desired.outlet1;
      await write(core, addr("edge-pdu-1"), { state: { desired: { outlet1: winner } } });
      await page.getByTestId("no-conflicts").waitFor({ timeout: 20_000 });
    } finally {
      await context.close();
    }
  }, 180_000);

  it("shows a viewer the same fleet pages", async () => {
    const { context, page } = await newUserContext(browser, core.httpUrl);
    try {
      await signInWithToken(page, viewerToken);
      await page.getByLabel("Fleet query").fill("shadow.hasDelta:true");
      await page.getByRole("button", { name: "Run query" }).click();
      await page.locator('tr[data-thing="pdu-3"]').waitFor();
      await page.getByRole("link", { name: "Systems" }).click();
      await page.getByTestId("systems-table").locator('tr[data-system="rack-a2"]').waitFor();
      await expectAccessible(page, "systems (viewer)");
    } finally {
      await context.close();
    }
  }, 60_000);
});
