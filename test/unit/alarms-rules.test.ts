import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRulesDir } from "../../broker/alarms/rules-dir.ts";
import { formatProblem, parseRulesFile } from "../../shared/alarms-rules.ts";

const RACK = `system: rack-a1
things: "pdu-*,bmc-*,host-*"
rules:
  - name: pdu-overload
    kind: telemetry
    metric: load_pct
    above: 80
    for: 5m
    severity: critical
  - name: bmc-unreachable
    kind: unreachable
    things: "bmc-*"
  - name: host-offline
    kind: offline
    for: 2m
  - name: fan
    kind: reported
    path: fans.state
    notEquals: ok
`;

describe("alarm rules files", () => {
  it("parses every rule with its defaults, scope and source line", () => {
    const r = parseRulesFile("rack.yaml", RACK);
    expect(r.problems).toEqual([]);
    expect(r.rules.map((x) => [x.id, x.kind, x.forMs, x.severity, x.source])).toEqual([
      ["rack-a1/pdu-overload", "telemetry", 300_000, "critical", "rack.yaml:4"],
      ["rack-a1/bmc-unreachable", "unreachable", 0, "warning", "rack.yaml:10"],
      ["rack-a1/host-offline", "offline", 120_000, "warning", "rack.yaml:13"],
      ["rack-a1/fan", "reported", 0, "warning", "rack.yaml:16"],
    ]);
    expect(r.rules[0]?.compare).toEqual({ op: "above", value: 80 });
    expect(r.rules[3]?.path).toEqual(["fans", "state"]);
    expect(r.rules[1]?.things?.some((re) => re.test("bmc-1"))).toBe(true);
    expect(r.rules[1]?.things?.some((re) => re.test("pdu-1"))).toBe(false);
  });

  it("names the file, the line and the key of each mistake", () => {
    const bad = `system: rack-a1
rules:
  - name: a
    kind: telemetry
    metric: watts
    above: 10
    for: soon
  - name: b
    kind: offlnie
  - name: c
    kind: offline
    above: 3
  - name: d
    kind: reported
    path: x
    colour: red
`;
    const r = parseRulesFile("bad.yaml", bad);
    expect(r.rules).toEqual([]);
    const text = r.problems.map(formatProblem);
    expect(text).toContain(
      "bad.yaml:9: /rules/1/kind: must be one of telemetry, reported, offline, unreachable, not-converged, conflicts",
    );
    expect(text).toContain("bad.yaml:16: /rules/3/colour: unknown key 'colour'");
    const semantic = parseRulesFile(
      "bad.yaml",
      bad.replace("kind: offlnie", "kind: offline").replace("    colour: red\n", "    equals: 1\n"),
    );
    expect(semantic.problems.map(formatProblem)).toEqual([
      "bad.yaml:7: /rules/0/for: not a duration (use 30s, 5m, 1h, 2d)",
      "bad.yaml:12: /rules/2/above: a offline rule takes no comparison",
    ]);
  });

  it("refuses YAML syntax errors, missing comparisons and duplicate names", () => {
    expect(parseRulesFile("x.yaml", "system: [a\n").problems[0]?.file).toBe("x.yaml");
    const r = parseRulesFile(
      "y.yaml",
      "system: s\nrules:\n  - name: a\n    kind: telemetry\n    metric: m\n  - name: a\n    kind: conflicts\n",
    );
    expect(r.problems.map(formatProblem)).toEqual([
      "y.yaml:3: /rules/0: a telemetry rule needs exactly one of above, below, equals, notEquals",
      "y.yaml:6: /rules/1/name: rule 'a' is defined twice in this file",
    ]);
  });

  it("checks a directory: good files load, a bad one is reported, one system per file", () => {
    const dir = mkdtempSync(join(tmpdir(), "umbra-rules-"));
    try {
      writeFileSync(join(dir, "rack.yaml"), RACK);
      writeFileSync(join(dir, "zz-dup.yml"), "system: rack-a1\nrules: []\n");
      writeFileSync(join(dir, "broken.yaml"), "system: x\nrules:\n  - kind: offline\n");
      writeFileSync(join(dir, "README.md"), "not rules");
      const s = checkRulesDir(dir);
      expect(s.files.sort()).toEqual(["broken.yaml", "rack.yaml", "zz-dup.yml"]);
      expect(s.rules).toHaveLength(4);
      expect(s.problems.map(formatProblem).sort()).toEqual([
        "broken.yaml:3: /rules/0: missing 'name'",
        "zz-dup.yml:1: /system: system 'rack-a1' is also defined in rack.yaml",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
