import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { browserCheck, launchChromium, newUserContext, SCREENSHOTS } from "../helpers/browser.ts";
import { expectAccessible, signInWithPassword, signInWithToken } from "../helpers/console-page.ts";
import { startDevice } from "../helpers/job-devices.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

/**
 * The console's operations pages in Debian's chromium against a real secure node with mqtt.js
 * devices: a job planned by a dry run from the form (a claimed thing is refused), started, followed
 * live, paused, resumed and cancelled; claims listed; an alarm raised by a device's report,
 * acknowledged, shelved and cleared; the system's review. A viewer is offered none of the actions.
 */
const check = browserCheck();
const RULES = `system: rack-h
rules:
  - { name: too-hot, kind: reported, path: temp, above: 40, severity: critical, summary: Inlet above 40 °C }
`;

describe.skipIf(!check.run)("console jobs and alarms in chromium", { retry: 1 }, () => {
  let node: TestNode;
  let browser: Browser;
  let password: string;
  let viewerToken: string;
  let bobToken: string;
  const devices: MqttClient[] = [];
  const rulesDir = tempDir("umbra-rules-");

  const device = async (thing: string, behaviour: "obey" | "ignore", initial: Record<string, unknown>) => {
    const pw = node.identities.add(thing, "device", thing);
    const d = await startDevice(node.mqttUrl, thing, behaviour, { username: thing, password: pw }, initial);
    devices.push(d);
    return d;
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(rulesDir, "rack-h.yaml"), RULES);
    node = await startTestNode({
      allowAnonymous: false,
      site: "core",
      alarmRules: rulesDir,
      alarmRulesPollMs: 200,
    });
    password = node.identities.add("alice", "operator", "*");
    viewerToken = node.identities.createToken("victor", "viewer", "*").token;
    bobToken = node.identities.createToken("bob", "operator", "*").token;
    for (const t of ["job-1", "job-2", "job-3"]) await device(t, "obey", { cap: 100, temp: 25 });
    for (const t of ["job-4", "job-5"]) await device(t, "ignore", { cap: 100, temp: 25 });
    const fleet = (node.extensions.get("fleet") as FleetExtension).fleet;
    fleet.systems.put("rack-h", { things: ["job-1", "job-2", "job-3", "job-4", "job-5"] });
    // Bob holds job-3 under a maintenance claim.
    const claim = await fetch(`${node.httpUrl}/claims`, {
      method: "POST",
      headers: { authorization: `Bearer ${bobToken}`, "content-type": "application/json" },
      body: JSON.stringify({ things: ["job-3"], reason: "replacing the PSU", durationSeconds: 7200 }),
    });
    expect(claim.status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) d.end(true);
    await browser?.close();
    await node?.stop();
  });

  it("plans a job by dry run, starts it and follows it live; pauses, resumes and cancels another", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    page.on("dialog", (d) => void d.accept());
    try {
      await signInWithPassword(page, "alice", password);
      await page.getByRole("link", { name: "Jobs" }).click();
      await page.getByTestId("claims-table").getByText("replacing the PSU").waitFor();
      const form = page.getByTestId("dry-run");
      await form.getByLabel("Target kind").selectOption("things");
      await form.getByLabel("Target value").fill("job-1, job-2, job-3");
      await form.getByLabel("Desired JSON").fill('{"cap": 80}');
      await form.getByLabel("Batch size").fill("1");
      await form.getByLabel("Description").fill("cap the rack at 80 %");
      await form.getByRole("button", { name: "Dry run" }).click();
      const plan = page.getByTestId("plan-table");
      await expect.poll(() => plan.locator('tr[data-thing="job-1"]').textContent()).toContain("would write");
      expect(await plan.locator('tr[data-thing="job-1"]').textContent()).toContain(
        "cap: absent → 80 (reported 100)",
      );
      expect(await plan.locator('tr[data-thing="job-3"]').textContent()).toContain("refused: claim");
      await expectAccessible(page, "jobs with a dry run");
      await page.screenshot({ path: join(SCREENSHOTS, "jobs.png"), fullPage: true });

      await page.getByRole("button", { name: "Start this job" }).click();
      await page.getByRole("heading", { name: /^Job / }).waitFor();
      const things = page.getByTestId("job-things");
      await expect
        .poll(() => page.getByTestId("job-state").textContent(), { timeout: 30_000 })
        .toContain("succeeded");
      expect(await things.locator('tr[data-thing="job-1"] [data-col="status"]').textContent()).toBe(
        "converged",
      );
      expect(await things.locator('tr[data-thing="job-2"] [data-col="status"]').textContent()).toBe(
        "converged",
      );
      expect(await things.locator('tr[data-thing="job-3"] [data-col="status"]').textContent()).toBe(
        "skipped",
      );

      // A job on devices that do not answer: it waits; the test's report converges one thing live.
      const created = await fetch(`${node.httpUrl}/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${bobToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          target: { things: ["job-4", "job-5"] },
          patch: { cap: 70 },
          rollout: { batchSize: 1 },
        }),
      });
      const job = (await created.json()) as { id: string };
      await page.goto(`/#/jobs/${job.id}`);
      await page.getByTestId("job-state").getByText("live").waitFor();
      const row4 = page.getByTestId("job-things").locator('tr[data-thing="job-4"] [data-col="status"]');
      await expect.poll(() => row4.textContent()).toBe("waiting");
      await node.service.update(
        { thing: "job-4", shadow: "" },
        JSON.stringify({ state: { reported: { cap: 70 } } }),
      );
      await expect.poll(() => row4.textContent()).toBe("converged");
      await page.getByRole("button", { name: "Pause" }).click();
      await expect.poll(() => page.getByTestId("job-state").textContent()).toContain("paused");
      await page.getByRole("button", { name: "Resume" }).click();
      await expect.poll(() => page.getByTestId("job-state").textContent()).toContain("running");
      await expectAccessible(page, "job detail");
      await page.screenshot({ path: join(SCREENSHOTS, "job.png"), fullPage: true });
      await page.getByRole("button", { name: "Cancel job" }).click();
      await expect.poll(() => page.getByTestId("job-state").textContent()).toContain("cancelled");
      expect(await page.getByRole("button", { name: "Pause" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 180_000);

  it("raises an alarm from a device's report; an operator acknowledges, shelves and clears it; the review counts it", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithPassword(page, "alice", password);
      await page.getByRole("link", { name: "Alarms" }).click();
      await page.getByTestId("no-alarms").waitFor();
      // job-1's device reports an inlet temperature over the rule's threshold.
      const hot = devices[0] as MqttClient;
      await hot.publishAsync(
        "$umbra/things/job-1/shadow/update",
        JSON.stringify({ state: { reported: { temp: 47 } } }),
        { qos: 1 },
      );
      const row = page.getByTestId("alarms-table").locator('tr[data-alarm="rack-h/too-hot/job-1"]');
      await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain("Inlet above 40");
      await page.getByLabel("System").selectOption("rack-h");
      await expect.poll(() => page.url()).toContain("system=rack-h");
      await row.getByRole("button", { name: "Acknowledge" }).click();
      await expect.poll(() => row.locator('[data-col="state"]').textContent()).toContain("acknowledged");
      expect(await row.textContent()).toContain("alice");
      await row.getByRole("button", { name: "Shelve 2 h" }).click();
      await expect.poll(() => row.textContent()).toContain("shelved until");
      await expectAccessible(page, "alarms");
      await page.screenshot({ path: join(SCREENSHOTS, "alarms.png"), fullPage: true });
      await row.getByRole("button", { name: "Clear" }).click();
      await page.getByTestId("no-alarms").waitFor();
      await page.getByLabel("State").selectOption("cleared");
      await expect.poll(() => row.locator('[data-col="state"]').textContent()).toContain("cleared");

      // The review of the system: one raise; the jobs that touched it.
      await page.getByRole("link", { name: "Review of rack-h" }).click();
      await expect
        .poll(() => page.getByTestId("review-summary").textContent())
        .toMatch(/1\s*raises of 1 alarms/);
      await page.getByRole("heading", { name: "Jobs" }).waitFor();
      await expect.poll(() => page.getByRole("main").textContent()).toMatch(/2 of 3 things written/);
      await expectAccessible(page, "review");
      await page.screenshot({ path: join(SCREENSHOTS, "review.png"), fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);

  it("offers a viewer no job, claim or alarm action", async () => {
    const { context, page } = await newUserContext(browser, node.httpUrl);
    try {
      await signInWithToken(page, viewerToken);
      await page.getByRole("link", { name: "Jobs" }).click();
      await page.getByTestId("jobs-table").waitFor();
      await page.getByTestId("claims-table").waitFor();
      expect(await page.getByTestId("dry-run").count()).toBe(0);
      expect(await page.getByRole("button", { name: /Release|Add claim/ }).count()).toBe(0);
      await page.getByTestId("jobs-table").getByRole("link").first().click();
      await page.getByTestId("job-things").waitFor();
      expect(await page.getByRole("button", { name: /Pause|Resume|Cancel/ }).count()).toBe(0);
      await page.goto("/#/alarms?state=all");
      await page.getByTestId("alarms-table").waitFor();
      expect(await page.getByRole("button", { name: /Acknowledge|Shelve|Clear/ }).count()).toBe(0);
      await expectAccessible(page, "alarms (viewer)");
      // The node refuses a viewer's dry run even with its session's CSRF token.
      const status = await page.evaluate(async () => {
        const s = await (await fetch("/session")).json();
        const r = await fetch("/jobs/dry-run", {
          method: "POST",
          headers: { "content-type": "application/json", "x-umbra-csrf": s.csrf },
          body: JSON.stringify({ target: { things: ["job-1"] }, patch: { cap: 1 } }),
        });
        return r.status;
      });
      expect(status).toBe(403);
    } finally {
      await context.close();
    }
  }, 60_000);
});
