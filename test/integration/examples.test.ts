import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../broker/config-load.ts";
import { REPO_ROOT, tempDir, UMBRA_BIN } from "../helpers/node.ts";

/**
 * examples/ is what an operator copies: every file must be accepted by the program that reads it.
 * Node configs load without a ConfigError, the bridge config passes `umbra bridge --check`, the agent
 * config plans a change with `umbra agent --dry-run`, the systemd units pass `systemd-analyze verify`,
 * and the compose file starts the image the Dockerfile builds from the tarball `npm pack` makes.
 * Building and starting the containers is not tested: podman (Debian) is on the machine, but no base
 * image can be pulled here (docs/deployment.md).
 */
const EX = join(REPO_ROOT, "examples");
let dir = "";
beforeAll(() => {
  dir = tempDir("umbra-examples-");
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function umbra(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [UMBRA_BIN, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("examples/", () => {
  it("core.json and edge.json are valid node configs (TLS on both, the edge relays to the core)", () => {
    const core = loadConfig({ file: join(EX, "core.json") });
    expect(core).toMatchObject({ site: "core", tlsPort: 8883, mqttPort: null, httpPort: null });
    const edge = loadConfig({ file: join(EX, "edge.json") });
    expect(edge.site).toBe("edge-1");
    expect(edge.parents?.[0]).toMatchObject({ url: "mqtts://core.example.net:8883", user: "edge-1" });
  });

  it("bridge.yaml passes `umbra bridge --check` (profiles and devices)", () => {
    const pw = join(dir, "bridge.password");
    writeFileSync(pw, "secret\n");
    const config = join(dir, "bridge.yaml");
    const ca = join(dir, "ca.crt");
    writeFileSync(ca, "");
    // The file paths of a real host, pointed at files of this test.
    const text = readFileSync(join(EX, "bridge.yaml"), "utf8")
      .replace("/etc/umbra/bridge.password", pw)
      .replace("/etc/umbra/tls/ca.crt", ca)
      .replace("/var/lib/umbra-bridge", join(dir, "queue"));
    writeFileSync(config, text);
    const r = umbra(["bridge", "--config", config, "--check"]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const thing of ["pdu-r12-a", "ups-r12", "sw-r12"]) expect(r.stdout).toContain(thing);
  });

  it("agent.yaml plans a desired change with `umbra agent --dry-run`", () => {
    const r = umbra([
      "agent",
      "--config",
      join(EX, "agent.yaml"),
      "--dry-run",
      "--once",
      "--desired",
      '{"motd":"hello","timezone":"Europe/Berlin"}',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("would write 5 bytes to /etc/motd");
    expect(r.stdout).toContain("timedatectl");
  });

  it("the systemd units pass systemd-analyze verify", () => {
    for (const unit of ["umbra.service", "umbra-agent.service"]) {
      // verify checks that ExecStart exists: point it at this checkout's `umbra`.
      const copy = join(dir, unit);
      writeFileSync(copy, readFileSync(join(EX, unit), "utf8").replaceAll("/usr/local/bin/umbra", UMBRA_BIN));
      const r = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.replaceAll(/.*(user|group) .*umbra.*\n?/gi, "")).toBe("");
    }
  });

  it("the Dockerfile installs the tarball npm pack makes, and compose runs a core and an edge", () => {
    const version = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;
    const dockerfile = readFileSync(join(EX, "Dockerfile"), "utf8");
    expect(dockerfile).toContain(`umbra-${version}.tgz`);
    const compose = parse(readFileSync(join(EX, "compose.yaml"), "utf8")) as {
      services: Record<string, { command: string[]; environment?: Record<string, string> }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(["core", "edge"]);
    const edgeEnv = compose.services.edge?.environment ?? {};
    const edge = loadConfig({ env: edgeEnv });
    expect(edge.parents?.[0]).toMatchObject({ url: "mqtt://core:1883", user: "edge-1" });
    // Every service command is one `umbra` accepts.
    for (const [name, svc] of Object.entries(compose.services)) {
      const r = umbra([...svc.command, "--help"]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
    }
  });
});
