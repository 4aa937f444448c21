import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertPeers,
  checkPeers,
  MOSQUITTO_PUB,
  MOSQUITTO_SUB,
  PEERS_REQUIRED,
  pahoVersion,
  runPeer,
  SYSTEM_PYTHON,
  shouldRunPeerSuite,
} from "../helpers/mosquitto.ts";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";

/**
 * Interop with real, independently written MQTT clients against the real CLI process (`umbra broker`):
 * Eclipse mosquitto_pub/mosquitto_sub and Eclipse Paho Python. Missing peers fail the run when CI is set.
 */

/** coreutils: line-buffers mosquitto_sub's debug output, which stdio would hold back when piped. */
const STDBUF = "/usr/bin/stdbuf";
const mosquittoClients = checkPeers([MOSQUITTO_PUB, MOSQUITTO_SUB, STDBUF]);
const paho = pahoVersion();
const pahoPeer = checkPeers([SYSTEM_PYTHON], [() => (paho.version ? null : paho.error)]);

let node: NodeProcess | undefined;
let dataDir = "";

beforeAll(async () => {
  if (!(mosquittoClients.ok || pahoPeer.ok || PEERS_REQUIRED)) return;
  dataDir = tempDir("umbra-interop-");
  node = await spawnNode(["--data-dir", dataDir, "--site", "interop"]);
});
afterAll(async () => {
  if (node) {
    const alive = node.child.exitCode === null && node.child.signalCode === null;
    if (alive) node.child.kill("SIGTERM");
    const code = await node.exited;
    expect(alive, `node died during the tests (exit ${code}): ${node.stderr()}`).toBe(true);
    expect(code, `node did not shut down cleanly: ${node.stderr()}`).toBe(0);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function running(): NodeProcess {
  if (!node) throw new Error("node not started");
  return node;
}

async function getShadow(thing: string): Promise<{ state: Record<string, unknown>; version: number }> {
  const res = await fetch(`${running().httpUrl}/things/${thing}/shadow`);
  expect(res.status).toBe(200);
  return (await res.json()) as { state: Record<string, unknown>; version: number };
}

/** mosquitto_sub -d: waits for SUBACK (so nothing is published before it listens), returns the payload lines. */
async function subscribeOnce(topic: string, clientId: string) {
  const n = running();
  const run = runPeer(STDBUF, [
    ...[
      "-oL",
      MOSQUITTO_SUB,
      "-d",
      "-V",
      "mqttv311",
      "-h",
      "127.0.0.1",
      "-p",
      String(n.mqttPort),
      "-i",
      clientId,
    ],
    ...["-q", "1", "-C", "1", "-W", "10", "-t", topic],
  ]);
  await run.waitForLine(/received SUBACK/);
  return {
    async payload(): Promise<unknown> {
      const { code, stdout, stderr } = await run.done;
      expect(code, `mosquitto_sub failed: ${stdout} ${stderr}`).toBe(0);
      const lines = stdout.split("\n").filter((l) => l !== "" && !/^(Client |Subscribed )/.test(l));
      expect(lines).toHaveLength(1);
      return JSON.parse(lines[0] as string);
    },
  };
}

async function publish(topic: string, body: unknown): Promise<void> {
  const n = running();
  const run = runPeer(MOSQUITTO_PUB, [
    ...["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(n.mqttPort), "-q", "1"],
    ...["-t", topic, "-m", JSON.stringify(body)],
  ]);
  const { code, stdout, stderr } = await run.done;
  expect(code, `mosquitto_pub failed: ${stdout} ${stderr}`).toBe(0);
}

describe.runIf(shouldRunPeerSuite("mosquitto_pub/mosquitto_sub interop", mosquittoClients))(
  "mosquitto_pub / mosquitto_sub",
  () => {
    beforeAll(() => assertPeers(mosquittoClients));

    it("a shadow update from mosquitto_pub is answered on /accepted to mosquitto_sub", async () => {
      const base = "$umbra/things/mosq-1/shadow/update";
      const sub = await subscribeOnce(`${base}/accepted`, "mosq-watch-1");
      await publish(base, { state: { reported: { temp: 22.5, fan: "auto" } }, clientToken: "mosq-token" });
      expect(await sub.payload()).toMatchObject({
        state: { reported: { temp: 22.5, fan: "auto" } },
        version: 1,
        clientToken: "mosq-token",
      });
    });

    it("mosquitto_sub -C 1 receives the delta of a desired change, and the pending delta on a late subscribe", async () => {
      const base = "$umbra/things/mosq-2/shadow/update";
      const live = await subscribeOnce(`${base}/delta`, "mosq-watch-2");
      await publish(base, { state: { desired: { led: "green", rate: 5 } } });
      const delta = (await live.payload()) as { state: unknown; version: number };
      expect(delta).toMatchObject({ state: { led: "green", rate: 5 }, version: 1 });

      // Umbra's addition: a device that subscribes later gets the pending delta at once (on the $aws alias too).
      const late = await subscribeOnce("$aws/things/mosq-2/shadow/update/delta", "mosq-watch-3");
      expect(await late.payload()).toMatchObject({ state: { led: "green", rate: 5 }, version: 1 });

      // The device reports the desired values: the delta is gone.
      await publish(base, { state: { reported: { led: "green", rate: 5 } } });
      const doc = await waitForVersion("mosq-2", 2);
      expect(doc.state.delta).toBeUndefined();
      expect(doc.state.reported).toEqual({ led: "green", rate: 5 });
    });
  },
);

/** mosquitto_pub returns at PUBACK; the update commits right after, so poll the HTTP API briefly. */
async function waitForVersion(thing: string, version: number) {
  for (let i = 0; i < 50; i++) {
    const doc = await getShadow(thing);
    if (doc.version >= version) return doc;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${thing} did not reach version ${version}`);
}

const PAHO_DEVICE = `
import json, sys, threading
import paho.mqtt
import paho.mqtt.client as mqtt

host, port, thing = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = "$umbra/things/%s/shadow/update" % thing
# paho 2.x requires the callback API version as first argument; 1.x has no CallbackAPIVersion.
api = 2 if hasattr(mqtt, "CallbackAPIVersion") else 1
print("PAHO %s API %d" % (paho.mqtt.__version__, api), flush=True)
if api == 2:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=thing, protocol=mqtt.MQTTv311, clean_session=True)
else:
    client = mqtt.Client(client_id=thing, protocol=mqtt.MQTTv311, clean_session=True)
done = threading.Event()
state = {"delta": None}

def on_connect(c, userdata, flags, rc, *rest):  # v2 adds properties
    if getattr(rc, "value", rc) != 0:
        print("CONNECT FAILED %s" % rc, flush=True)
        done.set()
        return
    c.subscribe([(base + "/delta", 1), (base + "/accepted", 1)])

def on_subscribe(c, userdata, mid, granted, *rest):
    print("SUBSCRIBED %s" % [getattr(g, "value", g) for g in granted], flush=True)

def on_message(c, userdata, msg):
    body = json.loads(msg.payload.decode())
    if msg.topic == base + "/delta" and state["delta"] is None:
        state["delta"] = body
        print("DELTA " + json.dumps(body), flush=True)
        # Reconcile: apply the desired values and report them.
        c.publish(base, json.dumps({"state": {"reported": body["state"]}, "clientToken": "paho-report"}), qos=1)
    elif msg.topic == base + "/accepted" and body.get("clientToken") == "paho-report":
        print("ACCEPTED " + json.dumps(body), flush=True)
        done.set()

client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect(host, port, 30)
client.loop_start()
ok = done.wait(15)
client.disconnect()
client.loop_stop()
sys.exit(0 if ok and state["delta"] is not None else 3)
`;

describe.runIf(shouldRunPeerSuite("paho-mqtt interop", pahoPeer))("Paho Python device", () => {
  beforeAll(() => assertPeers(pahoPeer));

  it("receives its delta, reports the desired values and gets /accepted", async () => {
    const dir = tempDir("umbra-paho-");
    try {
      const script = join(dir, "device.py");
      writeFileSync(script, PAHO_DEVICE);
      const thing = "paho-dev-1";
      const run = runPeer(SYSTEM_PYTHON, [script, "127.0.0.1", String(running().mqttPort), thing], 20_000);
      const banner = await run.waitForLine(/^PAHO /);
      const major = Number((paho.version ?? "0").split(".")[0]);
      expect(banner).toBe(`PAHO ${paho.version} API ${major >= 2 ? 2 : 1}`);
      expect(await run.waitForLine(/^SUBSCRIBED /)).toBe("SUBSCRIBED [1, 1]");

      // The operator sets desired state over HTTP; the device is told over MQTT.
      const desired = { fan: "high", rpm: 1200 };
      const res = await fetch(`${running().httpUrl}/things/${thing}/shadow`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ state: { desired } }),
      });
      expect(res.status).toBe(200);

      const { code, stdout, stderr } = await run.done;
      expect(code, `paho device failed: ${stdout} ${stderr}`).toBe(0);
      const json = (prefix: string) => {
        const line = stdout.split("\n").find((l) => l.startsWith(prefix));
        if (!line) throw new Error(`no ${prefix} line in: ${stdout}`);
        return JSON.parse(line.slice(prefix.length)) as Record<string, unknown>;
      };
      expect(json("DELTA ")).toMatchObject({ state: desired, version: 1 });
      expect(json("ACCEPTED ")).toMatchObject({
        state: { reported: desired },
        version: 2,
        clientToken: "paho-report",
      });

      const doc = await getShadow(thing);
      expect(doc.state.desired).toEqual(desired);
      expect(doc.state.reported).toEqual(desired);
      expect(doc.state.delta).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
