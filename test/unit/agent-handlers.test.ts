import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../device-agent/agent/config.ts";
import { executeAction, type Outcome } from "../../device-agent/agent/handlers.ts";
import { planDelta } from "../../device-agent/agent/plan.ts";
import type { JsonObject } from "../../shared/json.ts";
import { tempDir } from "../helpers/node.ts";

const dir = tempDir("umbra-agent-handlers-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NODE = process.execPath;

/** Plans `desired` (all of it as the delta, nothing reported) with the handlers of a YAML config and runs every action. */
async function apply(yaml: string, desired: JsonObject, reported: JsonObject = {}): Promise<Outcome[]> {
  const config = parseAgentConfig(yaml);
  const plan = planDelta(config.handlers, desired, { desired, reported }, "host-1");
  const out: Outcome[] = [];
  for (const action of plan.actions) out.push(await executeAction(action, "host-1"));
  return out;
}

function script(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** A command handler that records its argv (as JSON) into `out`. */
function argvRecorder(out: string, args: string[], extra = ""): string {
  const code = `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)))`;
  // `--` ends node's own options, so an argument like `--server=x` reaches the script.
  return `handlers:\n  rec:\n    desired: v\n    command: ${JSON.stringify([NODE, "-e", code, "--", ...args])}\n${extra}`;
}

describe("command handlers run real processes, never a shell", () => {
  it("a command builds its argv from the value and writes a file", async () => {
    const out = join(dir, "argv-1.json");
    const [o] = await apply(argvRecorder(out, ["--server={value}", "{value}", "{thing}"]), {
      v: "pool.ntp.org",
    });
    expect(o).toMatchObject({ ok: true, exitCode: 0 });
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual([
      "--server=pool.ntp.org",
      "pool.ntp.org",
      "host-1",
    ]);
  });

  it("shell syntax in a value is one argv element: no command runs, no marker file appears", async () => {
    const marker = join(dir, "pwned");
    const values = [
      `"; touch ${marker}; echo "`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x && touch ${marker}`,
      `x | touch ${marker}`,
      `x\ntouch ${marker}`,
    ];
    for (const [i, value] of values.entries()) {
      const out = join(dir, `argv-shell-${i}.json`);
      const [o] = await apply(argvRecorder(out, ["{value}"], "    value: {type: string}\n"), { v: value });
      expect(o?.ok).toBe(true);
      expect(JSON.parse(readFileSync(out, "utf8"))).toEqual([value]);
      // And through a real /bin/sh that is handed the value as $1 (the documented way to use a shell).
      const written = join(dir, `sh-out-${i}`);
      const yaml = `handlers:\n  sh:\n    desired: v\n    command: ["/bin/sh", "-c", 'printf "%s" "$1" > ${written}', "sh", "{value}"]\n`;
      const [s] = await apply(yaml, { v: value });
      expect(s?.ok).toBe(true);
      expect(readFileSync(written, "utf8")).toBe(value);
    }
    // The value the brief names: `; rm -rf /tmp/x` against a real directory that must survive.
    const victim = join(dir, "victim");
    mkdirSync(victim);
    writeFileSync(join(victim, "keep"), "x");
    const out = join(dir, "argv-rm.json");
    const [o] = await apply(argvRecorder(out, ["{value}"]), { v: `"; rm -rf ${victim}` });
    expect(o?.ok).toBe(true);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual([`"; rm -rf ${victim}`]);
    expect(existsSync(join(victim, "keep"))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it("a failing script is reported with its exit code and the end of its stderr", async () => {
    const s = script("fail.sh", 'echo "disk quota exceeded" >&2\nexit 3');
    const [o] = await apply(`handlers:\n  f:\n    desired: v\n    command: [${s}, "{value}"]\n`, { v: "x" });
    expect(o).toMatchObject({ ok: false, exitCode: 3, retry: true });
    expect(o?.error).toBe("exited with code 3: disk quota exceeded");
  });

  it("a command over its timeout is killed with its children and reported", async () => {
    const pidFile = join(dir, "child.pid");
    const s = script("hang.sh", `sleep 30 &\necho $! > ${pidFile}\nwait`);
    const started = Date.now();
    const [o] = await apply(`handlers:\n  h:\n    desired: v\n    timeout: 300ms\n    command: [${s}]\n`, {
      v: 1,
    });
    const elapsed = Date.now() - started;
    expect(o).toMatchObject({ ok: false, retry: true, error: "timed out after 300 ms and was killed" });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000);
    const child = Number(readFileSync(pidFile, "utf8"));
    // The background `sleep` was in the script's process group: it is gone too (bounded wait for the kernel).
    // A killed orphan may linger as a zombie when PID 1 does not reap: that is dead too.
    const running = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${child}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && running(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(running()).toBe(false);
  });

  it("a program that does not exist is a clear error", async () => {
    const [o] = await apply("handlers:\n  n:\n    desired: v\n    command: [/nonexistent/bin]\n", { v: 1 });
    expect(o).toMatchObject({ ok: false, error: "cannot run /nonexistent/bin: ENOENT" });
  });

  it("values are validated before anything runs", async () => {
    const out = join(dir, "argv-never.json");
    const spec = `    value: {type: string, pattern: "[a-z.]+", maxLength: 20}\n`;
    for (const v of ["UPPER", "a".repeat(21), 42, { a: 1 }]) {
      const [o] = await apply(argvRecorder(out, ["{value}"], spec), { v });
      expect(o?.ok).toBe(false);
      expect(o?.retry).toBe(false);
    }
    // A value that would be read as an option when it is a whole argument.
    const [dash] = await apply(argvRecorder(out, ["{value}"]), { v: "--delete-everything" });
    expect(dash?.error).toContain("starts with '-' and could be read as an option");
    expect(existsSync(out)).toBe(false);
    const [allowed] = await apply(argvRecorder(out, ["{value}"], "    value: {allowLeadingDash: true}\n"), {
      v: "-5",
    });
    expect(allowed?.ok).toBe(true);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["-5"]);
  });

  it("the agent's password is not in a handler's environment; the value and thing are", async () => {
    const out = join(dir, "env.json");
    process.env.UMBRA_AGENT_PASSWORD = "secret-pw-123";
    try {
      const code = `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`;
      const yaml = `handlers:\n  e:\n    desired: a.b\n    value: {type: any}\n    command: ${JSON.stringify([NODE, "-e", code])}\n    env: {MY_SETTING: "1"}\n`;
      const [o] = await apply(yaml, { a: { b: { x: [1] } } });
      expect(o?.ok).toBe(true);
    } finally {
      delete process.env.UMBRA_AGENT_PASSWORD;
    }
    const env = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
    expect(JSON.stringify(env)).not.toContain("secret-pw-123");
    expect(env).toMatchObject({
      UMBRA_THING: "host-1",
      UMBRA_HANDLER: "e",
      UMBRA_DESIRED_PATH: "a.b",
      UMBRA_VALUE: '{"x":[1]}',
      MY_SETTING: "1",
    });
  });
});

describe("file handler", () => {
  it("writes atomically with the configured mode, skips an unchanged file, runs afterWrite only on change", async () => {
    const target = join(dir, "motd");
    const counter = join(dir, "after-count");
    const after = script("after.sh", `echo x >> ${counter}`);
    const yaml = `handlers:\n  motd:\n    desired: motd\n    file: {path: ${target}, mode: "0640", afterWrite: [${after}]}\n`;
    const [o] = await apply(yaml, { motd: "hello\n" });
    expect(o).toMatchObject({ ok: true });
    expect(readFileSync(target, "utf8")).toBe("hello\n");
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readFileSync(counter, "utf8")).toBe("x\n");
    const inode = statSync(target).ino;
    const [again] = await apply(yaml, { motd: "hello\n" });
    expect(again?.ok).toBe(true);
    expect(statSync(target).ino).toBe(inode); // not rewritten
    expect(readFileSync(counter, "utf8")).toBe("x\n"); // afterWrite not run
    await apply(yaml, { motd: "bye\n" });
    expect(readFileSync(target, "utf8")).toBe("bye\n");
    expect(statSync(target).ino).not.toBe(inode); // a new file renamed into place
    expect(readFileSync(counter, "utf8")).toBe("x\nx\n");
  });

  it("replaces a symlink at the path instead of writing through it", async () => {
    const outside = join(dir, "outside.txt");
    writeFileSync(outside, "original");
    const link = join(dir, "linked");
    symlinkSync(outside, link);
    const [o] = await apply(`handlers:\n  l:\n    desired: c\n    file: {path: ${link}}\n`, { c: "new" });
    expect(o?.ok).toBe(true);
    expect(readFileSync(outside, "utf8")).toBe("original");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(link, "utf8")).toBe("new");
  });

  it("refuses non-strings, oversized contents and bad base64; decodes base64", async () => {
    const target = join(dir, "bin");
    const yaml = `handlers:\n  b:\n    desired: c\n    value: {maxLength: 100000}\n    file: {path: ${target}, maxBytes: 8, encoding: base64}\n`;
    expect((await apply(yaml, { c: 5 }))[0]?.error).toContain("the value must be a string");
    expect((await apply(yaml, { c: Buffer.alloc(9).toString("base64") }))[0]?.error).toContain(
      "more than maxBytes 8",
    );
    expect((await apply(yaml, { c: "not base64!" }))[0]?.error).toBe("the value is not valid base64");
    expect(existsSync(target)).toBe(false);
    expect((await apply(yaml, { c: Buffer.from([0, 1, 255]).toString("base64") }))[0]?.ok).toBe(true);
    expect([...readFileSync(target)]).toEqual([0, 1, 255]);
  });

  it("fails cleanly when the directory does not exist", async () => {
    const [o] = await apply(`handlers:\n  m:\n    desired: c\n    file: {path: ${dir}/no/such/file}\n`, {
      c: "x",
    });
    expect(o).toMatchObject({ ok: false, error: `cannot write ${dir}/no/such/file: ENOENT` });
  });
});

describe("script handler", () => {
  const scripts = join(dir, "scripts");
  mkdirSync(scripts, { recursive: true });
  const ran = join(dir, "script-ran");
  writeFileSync(join(scripts, "rotate-logs"), `#!/bin/sh\necho "$0 $UMBRA_VALUE" >> ${ran}\n`, {
    mode: 0o755,
  });
  writeFileSync(join(scripts, "not-exec"), "#!/bin/sh\n", { mode: 0o644 });
  writeFileSync(join(dir, "evil"), `#!/bin/sh\ntouch ${dir}/evil-ran\n`, { mode: 0o755 });
  symlinkSync(join(dir, "evil"), join(scripts, "escape"));
  const yaml = `scriptsDir: ${scripts}\nhandlers:\n  m:\n    desired: maintenance\n    script: {}\n`;

  it("runs a named script from the configured directory, by name or {name, run}", async () => {
    expect((await apply(yaml, { maintenance: "rotate-logs" }))[0]).toMatchObject({ ok: true, exitCode: 0 });
    expect((await apply(yaml, { maintenance: { name: "rotate-logs", run: 2 } }))[0]?.ok).toBe(true);
    expect(readFileSync(ran, "utf8")).toBe(
      `${scripts}/rotate-logs "rotate-logs"\n${scripts}/rotate-logs {"name":"rotate-logs","run":2}\n`,
    );
  });

  it.each([
    ["../evil", "'../evil' is not a valid script name"],
    ["/bin/sh", "'/bin/sh' is not a valid script name"],
    ["-rf", "'-rf' is not a valid script name"],
    ["missing", `no script 'missing' in ${scripts}`],
    ["not-exec", "script 'not-exec' is not executable"],
    ["escape", `script 'escape' resolves outside ${scripts}`],
  ])("refuses %j", async (name, error) => {
    const [o] = await apply(yaml, { maintenance: name });
    expect(o).toMatchObject({ ok: false, retry: false, error });
    expect(existsSync(join(dir, "evil-ran"))).toBe(false);
  });

  it("refuses a script outside the allow list and unknown fields", async () => {
    const allow = `scriptsDir: ${scripts}\nhandlers:\n  m:\n    desired: maintenance\n    script: {allow: [fstrim]}\n`;
    expect((await apply(allow, { maintenance: "rotate-logs" }))[0]?.error).toBe(
      "script 'rotate-logs' is not in the allow list",
    );
    expect((await apply(yaml, { maintenance: { name: "rotate-logs", args: ["x"] } }))[0]?.error).toContain(
      "unknown field 'args'",
    );
  });
});

describe("planning", () => {
  it("routes delta leaves to the handler owning them, skips what is already reported, lists the rest", () => {
    const config = parseAgentConfig(
      "handlers:\n  ntp:\n    desired: ntp\n    value: {type: object}\n    command: [/bin/true, '{value.server}']\n  tz:\n    desired: tz\n    command: [/bin/true, '{value}']\n",
    );
    const desired = { ntp: { server: "a", pool: "b" }, tz: "UTC", other: { x: 1 } };
    const plan = planDelta(
      config.handlers,
      { ntp: { server: "a" }, tz: "UTC", other: { x: 1 } },
      { desired, reported: { tz: "UTC" } },
      "h",
    );
    expect(plan.actions.map((a) => [a.handler.name, a.value])).toEqual([["ntp", { server: "a", pool: "b" }]]);
    expect(plan.actions[0]?.step).toEqual({ kind: "run", argv: ["/bin/true", "a"] });
    expect(plan.alreadyApplied.map((h) => h.name)).toEqual(["tz"]);
    expect(plan.unhandled).toEqual(["other.x"]);
  });
});
