import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, startSecureNode } from "../helpers/acl-clients.ts";
import {
  assertPeers,
  checkPeers,
  MOSQUITTO_PUB,
  MOSQUITTO_SUB,
  pahoVersion,
  runPeer,
  SYSTEM_PYTHON,
  shouldRunPeerSuite,
} from "../helpers/mosquitto.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { pahoMessages, runPaho } from "../helpers/paho-peer.ts";

/**
 * Standard clients against a node that requires credentials (external-clients.test.ts covers the
 * anonymous basics): mosquitto_pub/mosquitto_sub and Paho Python, each as a device and as an operator.
 */
const STDBUF = "/usr/bin/stdbuf";
const paho = pahoVersion();
const peers = checkPeers(
  [MOSQUITTO_PUB, MOSQUITTO_SUB, STDBUF, SYSTEM_PYTHON],
  [() => (paho.version ? null : paho.error)],
);

let node: TestNode;
let dir = "";
const pw = new Map<string, string>();
let token = "";

describe.runIf(shouldRunPeerSuite("secure standard-client interop", peers))(
  "mosquitto clients and Paho with credentials",
  () => {
    beforeAll(async () => {
      assertPeers(peers);
      node = await startSecureNode();
      dir = tempDir("umbra-secure-interop-");
      for (const [k, v] of addIdentities(node, [
        { name: "pdu-2", role: "device" },
        { name: "ops", role: "operator" },
        { name: "watcher", role: "viewer" },
      ]))
        pw.set(k, v);
      token = node.identities.createToken("test", "viewer", "*").token;
    });
    afterAll(async () => {
      await node?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** mosquitto_pub at QoS 1 as `user` (client id = user name for devices, as the SDK does). */
    async function mosquittoPub(user: string | null, topic: string, body: unknown, password?: string) {
      const auth = user === null ? [] : ["-u", user, "-P", password ?? pw.get(user) ?? "", "-i", user];
      const run = runPeer(MOSQUITTO_PUB, [
        ...["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(node.mqttPort), "-q", "1"],
        ...auth,
        ...["-t", topic, "-m", typeof body === "string" ? body : JSON.stringify(body)],
      ]);
      return run.done;
    }

    async function shadowOf(thing: string) {
      const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return {
        status: res.status,
        doc: (await res.json()) as { state: Record<string, unknown>; version: number },
      };
    }

    it("refuses both clients without valid credentials", async () => {
      const anonymous = await mosquittoPub(null, "things/pdu-2/telemetry", { watts: 1 });
      expect(anonymous.code).not.toBe(0);
      expect(anonymous.stderr).toMatch(/not authori[sz]ed/i);
      const wrong = await mosquittoPub("pdu-2", "things/pdu-2/telemetry", { watts: 1 }, "not-the-password");
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/bad user name or password/i);

      const pahoWrong = runPaho(dir, {
        port: node.mqttPort,
        clientId: "ops-bad",
        username: "ops",
        password: "not-the-password",
      });
      // MQTT 3.1.1 return code 4, bad user name or password (paho 1.x), or its MQTT 5 reason code 134 (2.x).
      expect(await pahoWrong.waitForLine(/^CONNACK /)).toMatch(/^CONNACK (4|134)$/);
      expect((await pahoWrong.done).stdout).not.toContain("SUBSCRIBED");
    });

    it("device telemetry from mosquitto_pub reaches a Paho operator; another thing's telemetry does not", async () => {
      const operator = runPaho(dir, {
        port: node.mqttPort,
        clientId: "ops-paho",
        username: "ops",
        password: pw.get("ops"),
        topics: ["things/+/telemetry"],
        count: 1,
      });
      expect(await operator.waitForLine(/^SUBSCRIBED /)).toBe("SUBSCRIBED [1]");
      // Not its thing: the node drops it (MQTT 3.1.1 cannot refuse a PUBLISH), so the operator's first
      // message is the device's own reading that follows.
      const forged = await mosquittoPub("pdu-2", "things/pdu-3/telemetry", { watts: 999 });
      expect(forged.code, forged.stderr).toBe(0);
      const own = await mosquittoPub("pdu-2", "things/pdu-2/telemetry", { watts: 512, volts: 230.1 });
      expect(own.code, own.stderr).toBe(0);
      const { code, stdout, stderr } = await operator.done;
      expect(code, `${stdout} ${stderr}`).toBe(0);
      expect(pahoMessages(stdout)).toEqual([
        { topic: "things/pdu-2/telemetry", body: { watts: 512, volts: 230.1 } },
      ]);
    });

    it("operator desired from mosquitto_pub gives a Paho device its delta; its report reaches mosquitto_sub", async () => {
      const device = runPaho(dir, {
        port: node.mqttPort,
        clientId: "pdu-2",
        username: "pdu-2",
        password: pw.get("pdu-2"),
        topics: ["$aws/things/pdu-2/shadow/update/delta"],
        count: 1,
      });
      expect(await device.waitForLine(/^SUBSCRIBED /)).toBe("SUBSCRIBED [1]");
      const desired = await mosquittoPub("ops", "$aws/things/pdu-2/shadow/update", {
        state: { desired: { outlet1: "off", limitW: 900 } },
        clientToken: "mosq-op-1",
      });
      expect(desired.code, desired.stderr).toBe(0);
      const got = await device.done;
      expect(got.code, `${got.stdout} ${got.stderr}`).toBe(0);
      const [delta] = pahoMessages(got.stdout);
      expect(delta?.topic).toBe("$aws/things/pdu-2/shadow/update/delta");
      expect(delta?.body).toMatchObject({
        state: { outlet1: "off", limitW: 900 },
        version: 1,
        clientToken: "mosq-op-1",
      });

      // A viewer watches with mosquitto_sub; the device (Paho) reports the desired values.
      const watch = runPeer(STDBUF, [
        ...["-oL", MOSQUITTO_SUB, "-d", "-V", "mqttv311", "-h", "127.0.0.1", "-p", String(node.mqttPort)],
        ...["-u", "watcher", "-P", pw.get("watcher") ?? "", "-i", "watcher-1"],
        ...["-q", "1", "-C", "1", "-W", "10", "-t", "$aws/things/pdu-2/shadow/update/documents"],
      ]);
      await watch.waitForLine(/received SUBACK/);
      const report = runPaho(dir, {
        port: node.mqttPort,
        clientId: "pdu-2",
        username: "pdu-2",
        password: pw.get("pdu-2"),
        publish: [
          [
            "$aws/things/pdu-2/shadow/update",
            JSON.stringify({ state: { reported: { outlet1: "off", limitW: 900 } } }),
          ],
        ],
      });
      const reported = await report.done;
      expect(reported.code, `${reported.stdout} ${reported.stderr}`).toBe(0);
      expect(reported.stdout).toContain("PUBACK 1");
      const seen = await watch.done;
      expect(seen.code, seen.stderr).toBe(0);
      const line = seen.stdout.split("\n").find((l) => l.startsWith("{"));
      expect(JSON.parse(line ?? "null")).toMatchObject({
        previous: { state: { desired: { outlet1: "off" } } },
        current: { state: { desired: { outlet1: "off" }, reported: { outlet1: "off", limitW: 900 } } },
      });

      const { status, doc } = await shadowOf("pdu-2");
      expect(status).toBe(200);
      expect(doc.state.delta).toBeUndefined();
      expect(doc.version).toBe(2);
    });

    it("a device may not set desired and an operator may not set reported (rejected, seen by mosquitto_sub)", async () => {
      const watch = runPeer(STDBUF, [
        ...["-oL", MOSQUITTO_SUB, "-d", "-V", "mqttv311", "-h", "127.0.0.1", "-p", String(node.mqttPort)],
        ...["-u", "ops", "-P", pw.get("ops") ?? "", "-i", "ops-watch"],
        ...["-q", "1", "-C", "1", "-W", "10", "-t", "$aws/things/pdu-2/shadow/update/rejected"],
      ]);
      await watch.waitForLine(/received SUBACK/);
      const bad = await mosquittoPub("ops", "$aws/things/pdu-2/shadow/update", {
        state: { reported: { outlet1: "on" } },
        clientToken: "ops-forged",
      });
      expect(bad.code, bad.stderr).toBe(0);
      const seen = await watch.done;
      const line = seen.stdout.split("\n").find((l) => l.startsWith("{"));
      expect(JSON.parse(line ?? "null")).toMatchObject({ code: 403, clientToken: "ops-forged" });
      expect((await shadowOf("pdu-2")).doc.version).toBe(2);
    });
  },
);
