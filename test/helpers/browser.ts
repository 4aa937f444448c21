import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { onTestFailed } from "vitest";
import { checkPeers, PEERS_REQUIRED } from "./mosquitto.ts";
import { REPO_ROOT } from "./node.ts";

/** Debian's chromium (never a downloaded browser). */
export const CHROMIUM_BIN = "/usr/bin/chromium";
/**
 * Where the e2e tests put their screenshots: docs/console/ when UMBRA_SCREENSHOTS=docs (how the
 * pictures in docs/console.md are made), else a temporary folder, so a test run leaves the tree clean.
 */
export const SCREENSHOTS =
  process.env.UMBRA_SCREENSHOTS === "docs"
    ? join(REPO_ROOT, "docs/console")
    : mkdtempSync(join(tmpdir(), "umbra-screens-"));

/** Whether the browser tests can run; under CI a missing chromium is a failure, not a skip. */
export function browserCheck(): { run: boolean; reason: string } {
  const check = checkPeers([CHROMIUM_BIN]);
  if (!check.ok && PEERS_REQUIRED) throw new Error(`CI: ${check.reason} (apt-get install chromium)`);
  return { run: check.ok, reason: check.reason };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

/**
 * A browser context for one user. CSP is bypassed only so axe-core can be injected; `requests` lists
 * every URL the page asked for, so a test can check that nothing is fetched from elsewhere.
 */
export async function newUserContext(
  browser: Browser,
  baseURL: string,
): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext({
    baseURL,
    bypassCSP: true,
    viewport: { width: 1280, height: 800 },
    locale: "en-GB",
    timezoneId: "UTC",
  });
  const requests: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  watchForFailure(context, page);
  return { context, page, requests };
}

/**
 * What the page showed when a test failed: its address, its text, the requests still open and the
 * browser's console errors, printed after the failure (taken just before the context closes).
 */
function watchForFailure(context: BrowserContext, page: Page): void {
  const open = new Map<unknown, string>();
  const logged: string[] = [];
  const started = Date.now();
  const at = () => `+${((Date.now() - started) / 1000).toFixed(1)}s`;
  page.on("request", (r) => open.set(r, `${at()} ${r.method()} ${r.url()}`));
  page.on("requestfinished", (r) => open.delete(r));
  page.on("requestfailed", (r) => {
    open.delete(r);
    logged.push(`${at()} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning")
      logged.push(`${at()} console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => logged.push(`${at()} page error: ${e.message}`));
  let snapshot = "";
  const close = context.close.bind(context);
  context.close = async (options) => {
    snapshot = await page
      .evaluate(() => `${location.href}\n${document.body.innerText.slice(0, 3000)}`)
      .catch((e: unknown) => `(page not readable: ${String(e)})`);
    snapshot += `\n-- still open at close (${at()}):\n${[...open.values()].join("\n")}`;
    return close(options);
  };
  onTestFailed(() => {
    console.error(`[browser] page at failure:\n${snapshot}\n-- log:\n${logged.slice(-40).join("\n")}`);
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core on the page; returns the violations of impact serious or critical. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run(document)).violations;
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === "serious" || v.impact === "critical");
}
