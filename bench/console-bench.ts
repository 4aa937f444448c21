/**
 * Console benchmark (`npm run bench:console [-- --things 10000 --runs 7 --changes 30]`), in Debian's
 * chromium against a real secure node:
 * - first meaningful paint of the fleet page (navigation start → the first page of things rendered),
 *   with the fleet size given, against a baseline of 50 things measured in the same run;
 * - the node's answer time for the first page, a page deep in the fleet, and a name filter that scans it;
 * - change-to-page latency: an operator's HTTP update is `accepted` → the open thing page (and the open
 *   fleet page) shows the new version, measured with a MutationObserver on the same machine clock.
 */
import { parseArgs } from "node:util";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newUserContext } from "../test/helpers/browser.ts";
import { startTestNode, type TestNode } from "../test/helpers/node.ts";

const { values: args } = parseArgs({
  options: {
    things: { type: "string", default: "10000" },
    runs: { type: "string", default: "7" },
    changes: { type: "string", default: "30" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log("npm run bench:console -- [--things 10000] [--runs 7] [--changes 30]");
  process.exit(0);
}
const THINGS = Number(args.things);
const RUNS = Number(args.runs);
const CHANGES = Number(args.changes);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] ?? Number.NaN;
};
const name = (i: number) => `thing-${String(i).padStart(6, "0")}`;

async function seed(node: TestNode, n: number): Promise<void> {
  for (let start = 0; start < n; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + 500); i++) {
      batch.push(
        node.service.update(
          { thing: name(i), shadow: "" },
          JSON.stringify({
            state: { desired: { power: "on", limit: i }, reported: { power: i % 7 ? "on" : "off" } },
          }),
        ),
      );
    }
    for (const r of await Promise.all(batch)) if (!r.ok) throw new Error(JSON.stringify(r.error));
  }
}

async function signedInPage(browser: Browser, node: TestNode, password: string) {
  const { context, page } = await newUserContext(browser, node.httpUrl);
  const res = await context.request.post("/session", {
    headers: { "x-umbra-console": "1", "content-type": "application/json" },
    data: JSON.stringify({ username: "bench", password }),
  });
  if (!res.ok()) throw new Error(`sign-in failed: ${res.status()}`);
  return { context, page };
}

/** Navigation start → first page of things rendered, and first contentful paint (ms). */
async function firstPaint(page: Page): Promise<{ fmp: number; fcp: number }> {
  await page.goto("about:blank");
  await page.goto("/");
  await page.locator("[data-testid=fleet-table] tbody tr").first().waitFor({ timeout: 30_000 });
  return page.evaluate(() => ({
    fmp: performance.getEntriesByName("umbra:fleet-rendered")[0]?.startTime ?? Number.NaN,
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
  }));
}

async function measureFleet(browser: Browser, things: number) {
  const node = await startTestNode({ allowAnonymous: false });
  try {
    const password = node.identities.add("bench", "operator", "*");
    const t0 = performance.now();
    await seed(node, things);
    const seedMs = performance.now() - t0;
    const { context, page } = await signedInPage(browser, node, password);
    const fmp: number[] = [];
    const fcp: number[] = [];
    await firstPaint(page); // warm-up: the first load also compiles the bundle
    for (let i = 0; i < RUNS; i++) {
      const r = await firstPaint(page);
      fmp.push(r.fmp);
      fcp.push(r.fcp);
    }
    const api = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const res = await context.request.get(path);
        if (!res.ok()) throw new Error(`${path}: ${res.status()}`);
        await res.body();
        times.push(performance.now() - t);
      }
      return median(times);
    };
    const pages = {
      first: await api("/console/api/things?limit=50"),
      deep: await api(`/console/api/things?limit=50&cursor=${name(Math.max(0, things - 100))}`),
      filter: await api(`/console/api/things?limit=50&filter=${name(things - 1).slice(-4)}`),
    };
    // What the fleet page sends since it reads through the fleet query (docs/fleet.md).
    const fields = "fields=*&limit=50";
    const query = {
      first: await api(`/things?q=&sort=thingName&${fields}`),
      sorted: await api(`/things?q=&sort=-shadow.desired.limit&${fields}`),
      glob: await api(
        `/things?q=${encodeURIComponent(`thingName:*${name(things - 1).slice(-4)}*`)}&${fields}`,
      ),
      count: await api("/things/count?q="),
    };
    await context.close();
    return { seedMs, fmp: median(fmp), fcp: median(fcp), pages, query };
  } finally {
    await node.stop();
  }
}

/** accepted → the open page shows the new version, for the thing page and the fleet page. */
async function measureChanges(browser: Browser) {
  const node = await startTestNode({ allowAnonymous: false });
  try {
    const password = node.identities.add("bench", "operator", "*");
    const token = node.identities.createToken("bench-api", "operator", "*").token;
    await seed(node, 200);
    const target = name(42);
    const out: Record<string, number[]> = { thing: [], fleet: [] };
    for (const view of ["thing", "fleet"] as const) {
      const { context, page } = await signedInPage(browser, node, password);
      await page.goto(view === "thing" ? `/#/things/${target}` : "/");
      const selector =
        view === "thing" ? "[data-testid=version] strong" : `tr[data-thing="${target}"] [data-col=version]`;
      await page.locator(selector).waitFor({ timeout: 30_000 });
      await page.locator('[data-link="live"]').waitFor({ timeout: 30_000 });
      // A string, not a function: tsx's name helpers do not exist in the page.
      await page.evaluate(`(() => {
        const sel = ${JSON.stringify(selector)};
        window.seen = {};
        new MutationObserver(() => {
          const text = document.querySelector(sel)?.textContent ?? "";
          if (!(text in window.seen)) window.seen[text] = Date.now();
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      for (let i = 0; i < CHANGES; i++) {
        const res = await fetch(`${node.httpUrl}/things/${target}/shadow`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            state: { desired: { limit: 100_000 + i + (view === "fleet" ? CHANGES : 0) } },
          }),
        });
        const accepted = Date.now();
        const { version } = (await res.json()) as { version: number };
        const handle = await page.waitForFunction(
          (v) => (window as unknown as { seen: Record<string, number> }).seen[String(v)],
          version,
          { timeout: 10_000, polling: 20 },
        );
        out[view]?.push(Math.max(0, ((await handle.jsonValue()) as number) - accepted));
        await new Promise((r) => setTimeout(r, 50));
      }
      await context.close();
    }
    return out;
  } finally {
    await node.stop();
  }
}

const browser = await launchChromium();
try {
  const base = await measureFleet(browser, 50);
  const big = await measureFleet(browser, THINGS);
  const changes = await measureChanges(browser);
  const f = (n: number) => n.toFixed(0);
  console.log(`console bench (${new Date().toISOString().slice(0, 10)}), ${RUNS} runs, medians:`);
  console.log(`  seed: ${THINGS} things in ${f(big.seedMs)} ms`);
  console.log(
    `  first meaningful paint: ${f(big.fmp)} ms with ${THINGS} things, ${f(base.fmp)} ms with 50 (ratio ${(big.fmp / base.fmp).toFixed(2)}); first contentful paint ${f(big.fcp)} ms`,
  );
  console.log(
    `  /console/api/things (${THINGS} things): first page ${f(big.pages.first)} ms, page at ${THINGS - 100} ${f(big.pages.deep)} ms, name filter scan ${f(big.pages.filter)} ms (50 things: ${f(base.pages.first)} ms)`,
  );
  console.log(
    `  fleet query (${THINGS} things, fields=*, 50 a page): first page ${f(big.query.first)} ms, sorted by a desired leaf ${f(big.query.sorted)} ms, name glob ${f(big.query.glob)} ms, count ${f(big.query.count)} ms (50 things: first page ${f(base.query.first)} ms)`,
  );
  for (const [view, xs] of Object.entries(changes)) {
    console.log(
      `  accepted → ${view} page shows it: median ${f(median(xs))} ms, p95 ${f(p95(xs))} ms, max ${f(Math.max(...xs))} ms (${xs.length} changes)`,
    );
  }
} finally {
  await browser.close();
}
