import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addIdentities, startSecureNode } from "../helpers/acl-clients.ts";
import { REPO_ROOT, tempDir } from "../helpers/node.ts";
import { runUmbra, UmbraLines } from "../helpers/umbra-cli.ts";

/** A loopback port that nothing listens on (bound, read, released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("first day: the agent says what is wrong with its node connection", () => {
  it("an http:// URL is refused at once with the right scheme to use", async () => {
    const r = await runUmbra(["agent", "--url", "http://127.0.0.1:8080", "--thing", "h1"], {
      env: { UMBRA_AGENT_PASSWORD: "x" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is the HTTP API: devices speak MQTT, use mqtt:\/\//);
  });

  it("no password and no client certificate: a clear error instead of an empty password", async () => {
    const { UMBRA_AGENT_PASSWORD: _, ...env } = process.env;
    const r = await runUmbra(["agent", "--url", "mqtt://127.0.0.1:1", "--thing", "h1"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no password for 'h1': set UMBRA_AGENT_PASSWORD/);
  });

  it("a dead port is reported with the reason, while it keeps retrying", async () => {
    const port = await deadPort();
    const agent = new UmbraLines(["agent", "--url", `mqtt://127.0.0.1:${port}`, "--thing", "h1"], {
      UMBRA_AGENT_PASSWORD: "x",
    });
    try {
      await waitFor("the connection-refused warning", () =>
        /cannot connect: connection refused/.test(agent.stderr),
      );
      expect(agent.child.exitCode).toBeNull();
    } finally {
      await agent.kill();
    }
  });
});

describe("first day: stopping the agent", () => {
  it("SIGTERM stops a connected agent with exit 0 and no warning (the link it closes is not 'lost')", async () => {
    const node = await startSecureNode();
    const agent = new UmbraLines(["agent", "--url", node.mqttUrl, "--thing", "host-1"], {
      UMBRA_AGENT_PASSWORD: addIdentities(node, [{ name: "host-1", role: "device" }]).get("host-1"),
    });
    try {
      expect(await agent.nextLine(20_000)).toMatch(/^umbra agent: ready host-1 /);
      agent.child.kill("SIGTERM");
      expect(await agent.exited).toBe(0);
      expect(agent.stderr).toMatch(/agent stopping/);
      expect(agent.stderr).not.toMatch(/"level":(40|50)/);
    } finally {
      await agent.kill();
      await node.stop();
    }
  });
});

describe("first day: a refused token names the node that refused it", () => {
  it("a 401 says which node answered and that --url picks another (the default is 127.0.0.1:8080)", async () => {
    const node = await startSecureNode();
    try {
      const r = await runUmbra(["peers", "--url", node.httpUrl, "--token", "not-this-nodes-token"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `401 Invalid or revoked bearer token (from ${new URL(node.httpUrl).origin}:`,
      );
      expect(r.stderr).toMatch(/--url or UMBRA_URL if that is not your node/);
    } finally {
      await node.stop();
    }
  });
});

describe("first day: identity commands refuse a data dir that holds no node", () => {
  it("device add elsewhere fails (no new empty store); list on a missing dir does not create it", async () => {
    const dir = join(tempDir("umbra-noddir-"), "data");
    const add = await runUmbra(["device", "add", "pdu-7", "--data-dir", dir]);
    expect(add.code).toBe(2);
    expect(add.stderr).toMatch(/no Umbra node data in .*data \(no umbra\.db there\)/);
    expect(add.stdout).toBe("");
    const list = await runUmbra(["device", "list"], { env: { UMBRA_DATA_DIR: dir } });
    expect(list.code).toBe(2);
    expect(existsSync(dir)).toBe(false);
    const init = await runUmbra(["device", "add", "pdu-7", "--data-dir", dir, "--init", "--json"]);
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(dir, "umbra.db"))).toBe(true);
  });
});

describe("first day: starting and stopping a node", () => {
  it("kill -TERM of `npm start` stops the node too (npm does not pass the signal on)", async () => {
    const dir = tempDir("umbra-npmstart-");
    const npm = spawn("npm", ["start", "--", "--data-dir", dir, "--mqtt-port", "0", "--http-port", "0"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    try {
      await waitFor("the ready line", () => /umbra: ready mqtt:\/\/\S+:(\d+)/.test(out), 20_000);
      const port = Number(/umbra: ready mqtt:\/\/\S+:(\d+)/.exec(out)?.[1]);
      expect(await listening(port)).toBe(true);
      npm.kill("SIGTERM");
      const deadline = Date.now() + 10_000;
      while ((await listening(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await listening(port)).toBe(false);
    } finally {
      npm.kill("SIGKILL");
    }
  });

  it("a port in use is named with what to do; the next start names the admin credential file", async () => {
    const dir = tempDir("umbra-inuse-");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const r = await runUmbra(
        ["broker", "--data-dir", dir, "--host", "127.0.0.1", "--mqtt-port", String(port)],
        {
          timeoutMs: 20_000,
        },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`another process listens on port ${port}.*--mqtt-port`));
    } finally {
      blocker.close();
    }
    const again = new UmbraLines(["broker", "--data-dir", dir, "--mqtt-port", "0", "--http-port", "0"]);
    try {
      await again.nextLine(20_000);
      expect(again.stderr).toContain(`admin        ${join(dir, "admin.json")} (user admin`);
    } finally {
      await again.kill();
    }
  });
});

/** Whether something accepts TCP connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
