import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AgentConfigError,
  DEFAULT_FACTS_MS,
  DEFAULT_TELEMETRY_MS,
  loadAgentConfig,
  parseAgentConfig,
} from "../../device-agent/agent/config.ts";
import { parseTemplate, renderTemplate } from "../../device-agent/agent/template.ts";
import { parseDuration } from "../../shared/config-check.ts";
import { REPO_ROOT } from "../helpers/node.ts";

function configError(yaml: string): string {
  let caught: unknown;
  try {
    parseAgentConfig(yaml, "agent.yaml");
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AgentConfigError);
  return (caught as Error).message;
}

describe("agent config", () => {
  it("loads the shipped example config with every handler kind", () => {
    const config = loadAgentConfig(join(REPO_ROOT, "docs/agent.example.yaml"));
    expect(config.thing).toBe("host-1");
    expect(config.telemetry).toEqual({ enabled: true, intervalMs: 10_000 });
    expect(config.facts.intervalMs).toBe(300_000);
    expect(config.handlers.map((h) => [h.name, h.kind, h.desired.join(".")])).toEqual([
      ["motd", "file", "motd"],
      ["chrony", "file", "ntp.config"],
      ["timezone", "command", "timezone"],
      ["maintenance", "script", "maintenance"],
    ]);
    const motd = config.handlers[0];
    expect(motd?.kind === "file" && motd.mode).toBe(0o644);
    const maint = config.handlers[3];
    expect(maint?.kind === "script" && maint.dir).toBe("/etc/umbra/scripts");
    expect(maint?.retry).toBe(false);
    expect(maint?.timeoutMs).toBe(600_000);
  });

  it("applies defaults: reported = desired, 30 s timeout, retry on, scalar values", () => {
    const config = parseAgentConfig(
      "handlers:\n  x:\n    desired: a.b\n    command: [/bin/true, '{value}']\n",
    );
    expect(config.telemetry.intervalMs).toBe(DEFAULT_TELEMETRY_MS);
    expect(config.facts.intervalMs).toBe(DEFAULT_FACTS_MS);
    const h = config.handlers[0]!;
    expect(h.reported).toEqual(["a", "b"]);
    expect(h.timeoutMs).toBe(30_000);
    expect(h.retry).toBe(true);
    expect(h.value.type).toBe("scalar");
    expect(h.kind === "command" && h.cwd).toBe("/");
  });

  it("an empty file is a config with no handlers", () => {
    expect(parseAgentConfig("").handlers).toEqual([]);
  });

  it.each([
    [
      "handlers:\n  x:\n    desired: a\n    comand: [/bin/true]\n",
      "handlers.x: must have exactly one of command, file, script (found none)",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/true]\n    timout: 5s\n",
      "handlers.x.timout: unknown key",
    ],
    ["handlers:\n  x:\n    command: [/bin/true]\n", "handlers.x.desired: is required"],
    [
      "handlers:\n  x:\n    desired: a\n    command: [bin/true]\n",
      "handlers.x.command[0]: must be an absolute path, got 'bin/true'",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/x, 0644]\n",
      "handlers.x.command[1]: must be a string (quote it: YAML read it as a number), got number 644",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: ['{value}']\n",
      "handlers.x.command[0]: the program must be a fixed path",
    ],
    ["handlers:\n  x:\n    desired: a\n    command: []\n", "handlers.x.command: must name a program"],
    [
      "handlers:\n  x:\n    desired: a\n    command: /bin/true\n",
      "handlers.x.command: must be a list of strings",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/echo, '{vaule}']\n",
      "handlers.x.command[1]: unknown placeholder {vaule}",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/echo, '{value']\n",
      "handlers.x.command[1]: unclosed '{'",
    ],
    [
      "handlers:\n  x:\n    desired: a..b\n    command: [/bin/true]\n",
      "handlers.x.desired: segment '' of 'a..b' is not valid",
    ],
    [
      "handlers:\n  x:\n    desired: $status\n    command: [/bin/true]\n",
      "handlers.x.desired: paths starting with '$' are reserved",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    reported: host.x\n    command: [/bin/true]\n",
      "handlers.x.reported: 'host' is reserved",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/true]\n    timeout: soon\n",
      "handlers.x.timeout: must be a duration like 500ms",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/true]\n    timeout: 48h\n",
      "handlers.x.timeout: must be between",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/true]\n    value: {type: text}\n",
      "handlers.x.value.type: must be one of",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    command: [/bin/true]\n    value: {pattern: '('}\n",
      "handlers.x.value.pattern: is not a valid regular expression",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    file: {path: etc/motd}\n",
      "handlers.x.file.path: must be an absolute path",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    file: {path: /etc/motd, mode: 0644}\n",
      "handlers.x.file.mode: must be a quoted octal string like '0644'",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    file: {path: /etc/motd, encoding: hex}\n",
      "handlers.x.file.encoding: must be utf8 or base64",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    script: {}\n",
      "handlers.x.script.dir: is required (or set scriptsDir)",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    script: {dir: /s, allow: [../etc/x]}\n",
      "handlers.x.script.allow[0]: '../etc/x' is not a valid script name",
    ],
    [
      "handlers:\n  x:\n    desired: a.b\n    command: [/bin/true]\n  y:\n    desired: a\n    command: [/bin/true]\n",
      "handlers.y.desired: 'a' overlaps handler x ('a.b')",
    ],
    [
      "handlers:\n  x:\n    desired: a\n    reported: r\n    command: [/bin/true]\n  y:\n    desired: b\n    reported: r.s\n    command: [/bin/true]\n",
      "handlers.y.reported: 'r.s' overlaps handler x ('r')",
    ],
    [
      "handlers:\n  bad name:\n    desired: a\n    command: [/bin/true]\n",
      "handlers.bad name: handler names are",
    ],
    ["handlers: [a, b]\n", "handlers: must be a mapping"],
    ["telemetry:\n  interval: 10\n  every: 5s\n", "telemetry.every: unknown key"],
    ["telemetry:\n  interval: 10ms\n", "telemetry.interval: must be between 100 ms"],
    ["passwordFile: secret.txt\n", "passwordFile: must be an absolute path"],
    ["password: hunter2\n", "password: unknown key"],
    ["url: [a]\n", "url: must be a non-empty string, got a list"],
    [
      "handlers:\n  x: {desired: a, command: [/bin/true]}\n  x: {desired: b, command: [/bin/true]}\n",
      "invalid YAML: Map keys must be unique",
    ],
    ["a: [\n", "invalid YAML"],
  ])("refuses %j with a clear error", (yaml, expected) => {
    const message = configError(yaml);
    expect(message.startsWith("agent.yaml: ")).toBe(true);
    expect(message).toContain(expected);
  });

  it("names a missing file", () => {
    expect(() => loadAgentConfig("/nonexistent/agent.yaml")).toThrow(
      "cannot read config file /nonexistent/agent.yaml: ENOENT",
    );
  });

  it("parses durations", () => {
    expect(parseDuration("500ms", "x")).toBe(500);
    expect(parseDuration("10s", "x")).toBe(10_000);
    expect(parseDuration("1.5m", "x")).toBe(90_000);
    expect(parseDuration("2h", "x")).toBe(7_200_000);
    expect(parseDuration(3, "x")).toBe(3000);
    expect(() => parseDuration("-1s", "x")).toThrow(AgentConfigError);
    expect(() => parseDuration(0, "x")).toThrow(AgentConfigError);
  });
});

describe("argument templates", () => {
  const render = (src: string, value: unknown) => {
    const t = parseTemplate(src);
    if (typeof t === "string") throw new Error(t);
    return renderTemplate(t, { value: value as never, thing: "host-1", path: "a.b" });
  };

  it("substitutes placeholders into exactly one argument", () => {
    expect(render("--server={value}", "pool.ntp.org")).toEqual({ arg: "--server=pool.ntp.org" });
    expect(render("{value}", 42)).toEqual({ arg: "42" });
    expect(render("{value}", { a: 1 })).toEqual({ arg: '{"a":1}' });
    expect(render("{value.a.b}", { a: { b: "x y" } })).toEqual({ arg: "x y" });
    expect(render("{json}", "s")).toEqual({ arg: '"s"' });
    expect(render("{thing}:{path}", null)).toEqual({ arg: "host-1:a.b" });
    expect(render("{{literal}}", null)).toEqual({ arg: "{literal}" });
    expect(render("{value}", "; rm -rf / $(x) `y`")).toEqual({ arg: "; rm -rf / $(x) `y`" });
  });

  it("reports a missing field and a NUL byte instead of running", () => {
    expect(render("{value.port}", { host: "h" })).toEqual({ error: "the value has no field 'port'" });
    expect(render("{value}", "a\0b")).toEqual({ error: "an argument would contain a NUL byte" });
  });
});
