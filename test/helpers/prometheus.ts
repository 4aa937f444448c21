import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** Debian's promtool (package prometheus): lints a scrape the way Prometheus' own tooling does. */
export const PROMTOOL = "/usr/bin/promtool";

export function promtoolMissing(): string | null {
  try {
    accessSync(PROMTOOL, constants.X_OK);
    return null;
  } catch {
    return `${PROMTOOL} is not installed (Debian package prometheus)`;
  }
}

/** `promtool check metrics` on a scrape body: exit code and what it printed (problems, one a line). */
export function promtoolCheck(body: string): { code: number | null; output: string } {
  const run = spawnSync(PROMTOOL, ["check", "metrics"], { input: body, encoding: "utf8", timeout: 10_000 });
  return { code: run.status, output: `${run.stdout ?? ""}${run.stderr ?? ""}${run.error ?? ""}` };
}

/**
 * The samples of a Prometheus text scrape, keyed `name{labels}` exactly as written (labels in the
 * order the exporter writes them), e.g. `umbra_shadow_requests_total{op="update"}`.
 */
export function parseSamples(body: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of body.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)(?: \d+)?$/.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

/** One sample's value; fails loudly when the exporter does not write it at all. */
export function sample(samples: Map<string, number>, key: string): number {
  const v = samples.get(key);
  if (v === undefined) throw new Error(`no sample ${key} in the scrape`);
  return v;
}
