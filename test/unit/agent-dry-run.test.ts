import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../device-agent/agent/config.ts";
import { describePlan } from "../../device-agent/agent/dry-run.ts";
import { planDelta } from "../../device-agent/agent/plan.ts";
import { REPO_ROOT, tempDir, UMBRA_BIN } from "../helpers/node.ts";

const dir = tempDir("umbra-agent-dry-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const marker = join(dir, "marker");
const target = join(dir, "motd");
const scripts = join(dir, "scripts");
const yaml = [
  `scriptsDir: ${scripts}`,
  "handlers:",
  "  motd:",
  "    desired: motd",
  `    file: { path: ${target}, mode: "0644", afterWrite: [/usr/bin/touch, ${marker}] }`,
  "  touch:",
  "    desired: touch",
  `    command: [/usr/bin/touch, ${marker}, "{value}"]`,
  "  tz:",
  "    desired: tz",
  "    value: { pattern: '[A-Za-z/_]+' }",
  "    command: [/usr/bin/timedatectl, set-timezone, '{value}']",
  "  maint:",
  "    desired: maintenance",
  "    script: {}",
].join("\n");
const configFile = join(dir, "agent.yaml");
writeFileSync(configFile, yaml);

/** `umbra agent …` run to completion. */
function umbraAgent(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [UMBRA_BIN, "agent", ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("dry run", () => {
  it("describes every action of a plan and performs none of them", () => {
    const config = parseAgentConfig(yaml);
    const desired = {
      motd: "hello\n",
      touch: "; rm -rf /",
      tz: "Not A Zone; reboot",
      maintenance: "rotate-logs",
      unknown: { x: 1 },
    };
    const plan = planDelta(config.handlers, desired, { desired, reported: {} }, "host-1");
    expect(describePlan(plan, 7)).toEqual([
      `dry-run (shadow version 7): motd (file) for desired motd: would write 6 bytes to ${target} (mode 0644) atomically, then run ["/usr/bin/touch","${marker}"] (timeout 30s), and report motd = "hello\\n"`,
      `dry-run (shadow version 7): touch (command) for desired touch: would run ["/usr/bin/touch","${marker}","; rm -rf /"] (timeout 30s), and report touch = "; rm -rf /"`,
      "dry-run (shadow version 7): tz (command) for desired tz: would refuse: the value does not match the pattern [A-Za-z/_]+",
      `dry-run (shadow version 7): maint (script) for desired maintenance: would refuse: no script 'rotate-logs' in ${scripts}`,
      "dry-run (shadow version 7): no handler for desired unknown.x; would ignore it",
    ]);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it("says when a file already has the contents, when a value is reported already, and when there is nothing to do", () => {
    const config = parseAgentConfig(yaml);
    writeFileSync(target, "same");
    const desired = { motd: "same", touch: "x" };
    const plan = planDelta(config.handlers, desired, { desired, reported: { touch: "x" } }, "h");
    expect(describePlan(plan)).toEqual([
      `dry-run: motd (file) for desired motd: ${target} already has these 4 bytes; would only report motd = "same"`,
      "dry-run: touch: touch already reports the desired value; nothing to do",
    ]);
    expect(describePlan(planDelta(config.handlers, {}, { desired: {}, reported: {} }, "h"))).toEqual([
      "dry-run: nothing to do",
    ]);
    rmSync(target);
  });

  it("`umbra agent --dry-run --desired` plans offline, prints, and touches nothing", async () => {
    const before = readdirSync(dir).sort();
    const r = await umbraAgent([
      "--config",
      configFile,
      "--dry-run",
      "--desired",
      '{"touch":"$(reboot)","motd":"x"}',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      `dry-run: motd (file) for desired motd: would write 1 bytes to ${target} (mode 0644) atomically, then run ["/usr/bin/touch","${marker}"] (timeout 30s), and report motd = "x"`,
      `dry-run: touch (command) for desired touch: would run ["/usr/bin/touch","${marker}","$(reboot)"] (timeout 30s), and report touch = "$(reboot)"`,
    ]);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("refuses misuse with a usage error (exit 2)", async () => {
    const noDry = await umbraAgent(["--config", configFile, "--desired", "{}"]);
    expect(noDry).toMatchObject({ code: 2 });
    expect(noDry.stderr).toContain("--desired is for an offline dry run");
    const badJson = await umbraAgent(["--dry-run", "--desired", "[1]"]);
    expect(badJson.stderr).toContain("--desired must be a JSON object");
    const badConfig = join(dir, "bad.yaml");
    writeFileSync(badConfig, "handlers:\n  x:\n    desired: a\n    command: [sh, -c, 'echo {value}']\n");
    const bad = await umbraAgent(["--config", badConfig, "--url", "mqtt://127.0.0.1:1", "--thing", "h"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `umbra agent: ${badConfig}: handlers.x.command[0]: must be an absolute path, got 'sh'\n`,
    );
    const noUrl = await umbraAgent(["--thing", "h"]);
    expect(noUrl).toMatchObject({
      code: 2,
      stderr: "umbra agent: --url is required (or `url` in the config)\n",
    });
  });
});
