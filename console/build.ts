/**
 * Builds the web console into console/dist (committed, so `npm ci && npm start` serves it offline with
 * no build step): esbuild bundles src/main.ts with Preact and htm into one minified ES module, and
 * src/stream-worker.ts into the shared worker's script; the page and the stylesheet are copied. `--check` builds in memory and fails when dist differs from the
 * sources (the test test/unit/console-bundle.test.ts runs the same comparison).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const HERE = resolve(import.meta.dirname);
export const DIST = join(HERE, "dist");
/** The bundle budget of issue 16: everything the page loads, gzipped. */
export const BUDGET_GZIP_BYTES = 250 * 1024;

/** The files of the built console, by name, built in memory. */
export async function buildConsole(): Promise<Map<string, Buffer>> {
  const result = await build({
    entryPoints: [join(HERE, "src/main.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
    outfile: join(DIST, "app.js"),
    logLevel: "silent",
  });
  // The shared worker that holds the one event stream of all tabs (src/stream-worker.ts): a script of
  // its own, as a worker is started from a URL.
  const worker = await build({
    entryPoints: [join(HERE, "src/stream-worker.ts")],
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
    outfile: join(DIST, "stream-worker.js"),
    logLevel: "silent",
  });
  const files = new Map<string, Buffer>();
  for (const out of result.outputFiles) files.set("app.js", Buffer.from(out.contents));
  for (const out of worker.outputFiles) files.set("stream-worker.js", Buffer.from(out.contents));
  files.set("index.html", readFileSync(join(HERE, "src/index.html")));
  files.set("app.css", readFileSync(join(HERE, "src/app.css")));
  return files;
}

export function gzipSize(files: Map<string, Buffer>): number {
  let total = 0;
  for (const body of files.values()) total += gzipSync(body, { level: 9 }).length;
  return total;
}

/** Names of the files in dist that differ from a fresh build (empty: up to date). */
export function staleFiles(files: Map<string, Buffer>): string[] {
  const stale: string[] = [];
  for (const [name, body] of files) {
    let current: Buffer | undefined;
    try {
      current = readFileSync(join(DIST, name));
    } catch {
      current = undefined;
    }
    if (!current?.equals(body)) stale.push(name);
  }
  return stale;
}

async function main(): Promise<void> {
  const files = await buildConsole();
  const gz = gzipSize(files);
  const raw = [...files.values()].reduce((n, b) => n + b.length, 0);
  console.log(
    `console: ${(raw / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzip (budget ${BUDGET_GZIP_BYTES / 1024} KiB)`,
  );
  if (gz > BUDGET_GZIP_BYTES) {
    console.error("console: over the bundle budget");
    process.exit(1);
  }
  if (process.argv.includes("--check")) {
    const stale = staleFiles(files);
    if (stale.length > 0) {
      console.error(`console/dist is out of date (${stale.join(", ")}): run npm run build:console`);
      process.exit(1);
    }
    console.log("console/dist is up to date");
    return;
  }
  mkdirSync(DIST, { recursive: true });
  for (const [name, body] of files) writeFileSync(join(DIST, name), body);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
