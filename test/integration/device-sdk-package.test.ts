import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { REPO_ROOT, type TestNode, tempDir } from "../helpers/node.ts";

/**
 * The device SDK as a package: built (`npm run build:sdk`), packed with `npm pack`, installed from the
 * tarball into a project outside the repository, and run there as a 20-line device with plain `node`
 * (no tsx, no TypeScript) against a real node; the same project type-checks against its declarations.
 *
 * better-sqlite3 (a dependency of the SDK) compiles from source on install where no prebuilt binary can
 * be downloaded, which takes minutes on a loaded machine; the outside project therefore links the
 * repository's already built copy (an ordinary `npm install <folder>`) and installs with
 * --ignore-scripts. Everything of the SDK itself comes from the tarball.
 */
const PKG = join(REPO_ROOT, "packages/device-sdk");
const DEVICE = `import { connectDevice } from "umbra-device-sdk";

const device = await connectDevice({
  url: process.env.UMBRA_URL,
  thing: "pkg-dev-1",
  username: "pkg-dev-1",
  password: process.env.UMBRA_PASSWORD,
});

device.onDelta(async (delta) => {
  console.log("delta", JSON.stringify(delta));
  return { reported: delta };
});

await device.report({ booted: true });
console.log("ready");

process.once("SIGTERM", async () => {
  await device.close();
  process.exit(0);
});
`;

let dir = "";
let node: TestNode;
let child: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });
}

beforeAll(async () => {
  dir = tempDir("umbra-sdk-package-");
  run("npm", ["run", "-s", "build:sdk"], REPO_ROOT);
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir, PKG], REPO_ROOT)) as {
    filename: string;
  }[];
  const tarball = join(dir, packed[0]?.filename ?? "");
  const project = join(dir, "outside");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "outside", private: true, type: "module" }),
  );
  run(
    "npm",
    [
      "install",
      "--ignore-scripts",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      join(REPO_ROOT, "node_modules/better-sqlite3"),
      tarball,
    ],
    project,
  );
  writeFileSync(join(project, "device.mjs"), DEVICE);
  node = await startSecureNode();
}, 300_000);

afterAll(async () => {
  child?.kill("SIGKILL");
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("umbra-device-sdk package", () => {
  it("has exports, declarations and compiled JavaScript only", () => {
    const files = run("tar", ["-tzf", join(dir, readTarballName())], dir).split("\n");
    expect(files).toContain("package/dist/device-agent/sdk/index.js");
    expect(files).toContain("package/dist/device-agent/sdk/index.d.ts");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    const pkg = JSON.parse(
      readFileSync(join(dir, "outside/node_modules/umbra-device-sdk/package.json"), "utf8"),
    );
    expect(pkg.exports["."]).toMatchObject({ types: expect.any(String), default: expect.any(String) });
  });

  it("runs a 20-line device with plain node that follows desired state", async () => {
    const line = (DEVICE.match(/\n/g) ?? []).length;
    expect(line).toBeLessThanOrEqual(22);
    const password = node.identities.add("pkg-dev-1", "device", "pkg-dev-1");
    child = spawn(process.execPath, ["device.mjs"], {
      cwd: join(dir, "outside"),
      env: { PATH: process.env.PATH, UMBRA_URL: node.mqttUrl, UMBRA_PASSWORD: password },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    await until(
      "the device to be ready",
      () =>
        out.includes("ready") ||
        (child?.exitCode !== null && child?.exitCode !== undefined ? Promise.reject(new Error(out)) : false),
      20_000,
    );
    await setDesired(node, "pkg-dev-1", { fan: "on" });
    const synced = await until(
      "the device to report desired",
      async () => {
        const s = await shadowOf(node, "pkg-dev-1");
        return s.reported?.fan === "on" && s.delta === undefined ? s : undefined;
      },
      20_000,
    );
    expect(synced.reported).toMatchObject({ booted: true, fan: "on" });
    expect(out).toContain('delta {"fan":"on"}');
    child.kill("SIGTERM");
    await until("the device to exit", () => child?.exitCode === 0, 10_000);
  });

  it("type-checks a TypeScript consumer against the declarations", () => {
    const project = join(dir, "outside");
    writeFileSync(
      join(project, "check.ts"),
      `import { connectDevice, type Device, type DeltaHandler } from "umbra-device-sdk";
const handler: DeltaHandler = async (delta) => ({ reported: delta });
export async function start(): Promise<Device> {
  const d = await connectDevice({ url: "mqtt://127.0.0.1:1883", thing: "t" });
  d.onDelta(handler);
  return d;
}
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          skipLibCheck: false,
          typeRoots: [join(REPO_ROOT, "node_modules/@types")],
          types: ["node"],
        },
        files: ["check.ts"],
      }),
    );
    run(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], project);
  });
});

function readTarballName(): string {
  return run("ls", [dir], dir)
    .split("\n")
    .find((f) => f.endsWith(".tgz")) as string;
}
