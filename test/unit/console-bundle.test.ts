import { describe, expect, it } from "vitest";
import { BUDGET_GZIP_BYTES, buildConsole, gzipSize, staleFiles } from "../../console/build.ts";

/**
 * The console is served from the committed console/dist (so `npm ci && npm start` needs no build and
 * no network): it must be exactly what `npm run build:console` makes from console/src, within budget.
 */
describe("committed console bundle", () => {
  it("matches a fresh build of console/src and stays within the gzip budget", async () => {
    const files = await buildConsole();
    expect([...files.keys()].sort()).toEqual(["app.css", "app.js", "index.html", "stream-worker.js"]);
    expect(staleFiles(files), "console/dist is stale: run npm run build:console").toEqual([]);
    expect(gzipSize(files)).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });

  it("references no asset outside the node", async () => {
    const files = await buildConsole();
    const page = files.get("index.html")?.toString() ?? "";
    const css = files.get("app.css")?.toString() ?? "";
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(css).not.toMatch(/url\(\s*["']?(https?:)?\/\//);
  });
});
