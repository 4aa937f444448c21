// Builds the package: compiles the SDK's sources (device-agent/sdk and the shared/ files it uses) to
// dist/ with declarations, then points the declarations' relative imports at `.js` (tsc rewrites the
// extensions of the JavaScript it emits, not of the declarations). Run from anywhere: `node build.mjs`.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
const tsc = join(here, "../../node_modules/.bin/tsc");
execFileSync(tsc, ["-p", join(here, "tsconfig.json")], { stdio: "inherit" });

for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/(from\s+["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2");
  if (fixed !== text) writeFileSync(file, fixed);
}
