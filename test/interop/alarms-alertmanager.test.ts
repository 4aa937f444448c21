import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Alertmanager, alertmanagerCheck, startAlertmanager } from "../helpers/alertmanager.ts";
import { assertPeers, shouldRunPeerSuite } from "../helpers/mosquitto.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";

const check = alertmanagerCheck();

// A real node sends its alarms to Debian's Prometheus Alertmanager (API v2); the test reads them back
// through Alertmanager's own API: raised is an active alert with our labels, cleared resolves it.
describe.runIf(shouldRunPeerSuite("alarms → Alertmanager", check))("alarms → Prometheus Alertmanager", () => {
  let am: Alertmanager;
  let node: TestNode;

  beforeAll(async () => {
    assertPeers(check);
    am = await startAlertmanager();
    const rules = tempDir("umbra-rules-");
    writeFileSync(
      join(rules, "rack.yaml"),
      "system: rack-b2\nrules:\n  - { name: fan-failed, kind: reported, path: fan, equals: failed, severity: critical, summary: Fan failed }\n",
    );
    node = await startTestNode({ alarmRules: rules, alarmAlertmanager: am.url });
    await fetch(`${node.httpUrl}/systems/rack-b2`, {
      method: "PUT",
      body: JSON.stringify({ things: ["srv-7"] }),
    });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await am?.stop();
  });

  it("a raised alarm is an active alert with its labels; clearing resolves it", async () => {
    await fetch(`${node.httpUrl}/things/srv-7/shadow`, {
      method: "POST",
      body: JSON.stringify({ state: { reported: { fan: "failed" } } }),
    });
    await eventually(async () => {
      const alerts = await am.alerts();
      expect(alerts.map((a) => a.labels)).toContainEqual({
        alertname: "fan-failed",
        system: "rack-b2",
        thing: "srv-7",
        severity: "critical",
        site: "test",
        kind: "reported",
      });
      expect(alerts[0]?.annotations).toMatchObject({ summary: "Fan failed", value: '"failed"' });
    }, 30_000);
    await fetch(`${node.httpUrl}/things/srv-7/shadow`, {
      method: "POST",
      body: JSON.stringify({ state: { reported: { fan: "ok" } } }),
    });
    await eventually(async () => expect(await am.alerts()).toEqual([]), 30_000);
  }, 90_000);
});
