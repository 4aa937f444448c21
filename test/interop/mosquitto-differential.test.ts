import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertPeers,
  checkPeers,
  MOSQUITTO_BIN,
  type Mosquitto,
  shouldRunPeerSuite,
  startMosquitto,
} from "../helpers/mosquitto.ts";
import { SCENARIO } from "../helpers/mqtt-scenario.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * Differential test: the same plain-MQTT scenario (helpers/mqtt-scenario.ts) runs against Debian's
 * mosquitto (the reference) and an Umbra node; for every step the observations must be identical,
 * and must also be what MQTT 3.1.1 prescribes, so two brokers that are wrong the same way fail too.
 * Disagreements are collected and printed at the end, so one run shows all of them.
 */
const peer = checkPeers([MOSQUITTO_BIN]);

describe.runIf(shouldRunPeerSuite("mosquitto differential", peer))("differential: Umbra vs mosquitto", () => {
  let mosquitto: Mosquitto | undefined;
  let node: TestNode | undefined;
  const differences: string[] = [];

  beforeAll(async () => {
    assertPeers(peer);
    // The bare broker: the Sparkplug host keeps a retained STATE topic, which a `#` subscriber would get.
    [mosquitto, node] = await Promise.all([startMosquitto(), startTestNode({ sparkplugEnabled: false })]);
  });
  afterAll(async () => {
    await Promise.all([mosquitto?.stop(), node?.stop()]);
    if (differences.length > 0) {
      process.stderr.write(`umbra/mosquitto differences:\n${differences.join("\n")}\n`);
    }
  });

  for (const s of SCENARIO) {
    it(s.name, async () => {
      if (!mosquitto || !node) throw new Error("brokers not started");
      // One broker after the other: both get exactly the same sequence of packets.
      const reference = await s.run(mosquitto.port);
      const umbra = await s.run(node.mqttPort);
      if (JSON.stringify(umbra) !== JSON.stringify(reference)) {
        differences.push(
          `- ${s.name}\n  mosquitto: ${JSON.stringify(reference)}\n  umbra:     ${JSON.stringify(umbra)}`,
        );
      }
      expect(reference, "mosquitto does not behave as MQTT 3.1.1 says").toEqual(s.expected);
      expect(umbra, "Umbra differs from mosquitto").toEqual(reference);
    });
  }
});
