import { describe, expect, it } from "vitest";
import { metricMatcher } from "../../broker/sparkplug/extension.ts";
import { telemetryMetricName } from "../../broker/sparkplug/mapping.ts";
import {
  parseSparkplugTopic,
  sparkplugFilterScope,
  sparkplugThing,
  sparkplugTopic,
  stateTopic,
} from "../../shared/sparkplug-topics.ts";
import { isValidThingName } from "../../shared/topics.ts";

describe("Sparkplug topics", () => {
  it("parses node and device messages and rejects everything else", () => {
    expect(parseSparkplugTopic("spBv1.0/plant1/NBIRTH/gw1")).toEqual({
      group: "plant1",
      type: "NBIRTH",
      edge: "gw1",
    });
    expect(parseSparkplugTopic("spBv1.0/plant1/DDATA/gw1/dev1")).toEqual({
      group: "plant1",
      type: "DDATA",
      edge: "gw1",
      device: "dev1",
    });
    for (const bad of [
      "spBv1.0/STATE/host",
      "spBv1.0/plant1/DDATA/gw1",
      "spBv1.0/plant1/NDATA/gw1/dev1",
      "spBv1.0/plant1/NFOO/gw1",
      "spAv1.0/plant1/NBIRTH/gw1",
      "spBv1.0//NBIRTH/gw1",
      "spBv1.0/plant1/DBIRTH/gw1/",
      "spBv1.0/plant1/DBIRTH/gw1/a/b",
    ])
      expect(parseSparkplugTopic(bad), bad).toBeNull();
    expect(sparkplugTopic("g", "DCMD", "e", "d")).toBe("spBv1.0/g/DCMD/e/d");
    expect(stateTopic("umbra-a")).toBe("spBv1.0/STATE/umbra-a");
  });

  it("names things {group}:{edge}[:{device}] and refuses ids that cannot be part of a thing name", () => {
    expect(sparkplugThing("plant1", "gw1")).toBe("plant1:gw1");
    expect(sparkplugThing("plant1", "gw1", "dev-1_a")).toBe("plant1:gw1:dev-1_a");
    expect(isValidThingName(sparkplugThing("a", "b", "c") as string)).toBe(true);
    expect(sparkplugThing("plant.1", "gw1")).toBeNull();
    expect(sparkplugThing("plant1", "gw 1")).toBeNull();
    expect(sparkplugThing("a:b", "c")).toBeNull(); // would be ambiguous
    expect(sparkplugThing("g", "e", "x".repeat(125))).toBeNull(); // over 128 characters
  });

  it("classifies subscription filters for the ACL", () => {
    expect(sparkplugFilterScope("spBv1.0/STATE/+")).toEqual({ kind: "state" });
    expect(sparkplugFilterScope("spBv1.0/g/NCMD/e/#")).toEqual({ kind: "commands", edgeThing: "g:e" });
    expect(sparkplugFilterScope("spBv1.0/g/DCMD/e/+")).toEqual({ kind: "commands", edgeThing: "g:e" });
    expect(sparkplugFilterScope("spBv1.0/g/NCMD/+")).toEqual({ kind: "other" });
    expect(sparkplugFilterScope("spBv1.0/+/NCMD/e")).toEqual({ kind: "other" });
    expect(sparkplugFilterScope("spBv1.0/g/NDATA/e")).toEqual({ kind: "other" });
    expect(sparkplugFilterScope("spBv1.0/#")).toEqual({ kind: "other" });
    expect(sparkplugFilterScope("things/x/telemetry")).toBeNull();
  });
});

describe("metric names", () => {
  it("become telemetry metric names level by level", () => {
    expect(telemetryMetricName("Node Control/Rebirth")).toBe("Node_Control/Rebirth");
    expect(telemetryMetricName("Inputs//A (raw)")).toBe("Inputs/A__raw_");
    expect(telemetryMetricName("a.b:c-d")).toBe("a.b:c-d");
    expect(telemetryMetricName("/")).toBeUndefined();
    expect(telemetryMetricName("x".repeat(129))).toBeUndefined();
  });

  it("match reported-metric globs across levels", () => {
    const m = metricMatcher(["Outputs/*", "temp?"]);
    expect(m("Outputs/LED")).toBe(true);
    expect(m("Outputs/a/b")).toBe(true);
    expect(m("temp?")).toBe(true);
    expect(m("temp1")).toBe(false); // only `*` is a wildcard
    expect(metricMatcher([])("x")).toBe(false);
    expect(metricMatcher(["*"])("Node Control/Rebirth")).toBe(true);
  });
});
