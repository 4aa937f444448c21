import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PeerRun, runPeer, SYSTEM_PYTHON } from "./mosquitto.ts";

/**
 * A general Eclipse Paho Python MQTT 3.1.1 client for interop tests (paho-mqtt 1.x and 2.x). Arguments:
 * host port client_id count topic…; credentials come from the environment (PAHO_USER, PAHO_PASS), not
 * argv, so they never show in a process list; PAHO_PUBLISH is a JSON list of [topic, payload] sent at
 * QoS 1 once every subscription is granted. It prints
 *   CONNACK <rc>               (0 accepted; else the 3.1.1 code (paho 1.x) or MQTT 5 reason code (2.x))
 *   SUBSCRIBED [<granted>…]
 *   PUBACK <n>                 as its publishes are acknowledged
 *   MSG <topic> <payload>      for each message, and exits 0 after `count` of them (with count 0: once
 *                              every publish is acknowledged); 3 on a 15 s timeout.
 */
const PAHO_PEER = `
import json, os, sys, threading
import paho.mqtt.client as mqtt

host, port, client_id, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
topics = sys.argv[5:]
to_publish = json.loads(os.environ.get("PAHO_PUBLISH", "[]"))
if hasattr(mqtt, "CallbackAPIVersion"):  # paho 2.x
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=True)
else:
    client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311, clean_session=True)
if os.environ.get("PAHO_USER"):
    client.username_pw_set(os.environ["PAHO_USER"], os.environ.get("PAHO_PASS"))
done = threading.Event()
seen = [0]

def on_connect(c, userdata, flags, rc, *rest):
    rc = getattr(rc, "value", rc)
    print("CONNACK %d" % rc, flush=True)
    if rc != 0:
        done.set()
    elif topics:
        c.subscribe([(t, 1) for t in topics])
    else:
        publish(c)

acked = [0]

def publish(c):
    for topic, payload in to_publish:
        c.publish(topic, payload, qos=1)
    if count == 0 and not to_publish:
        done.set()

def on_publish(c, userdata, mid, *rest):
    acked[0] += 1
    print("PUBACK %d" % acked[0], flush=True)
    if count == 0 and acked[0] >= len(to_publish):
        done.set()

def on_subscribe(c, userdata, mid, granted, *rest):
    print("SUBSCRIBED %s" % [getattr(g, "value", g) for g in granted], flush=True)
    publish(c)

def on_message(c, userdata, msg):
    print("MSG %s %s" % (msg.topic, msg.payload.decode()), flush=True)
    seen[0] += 1
    if seen[0] >= count:
        done.set()

client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.on_publish = on_publish
client.connect(host, port, 30)
client.loop_start()
ok = done.wait(15)
client.disconnect()
client.loop_stop()
sys.exit(0 if ok else 3)
`;

export interface PahoOptions {
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** Filters to subscribe to (QoS 1). */
  topics?: string[];
  /** Messages to wait for before exiting 0. */
  count?: number;
  /** Published at QoS 1 after the subscriptions are granted. */
  publish?: [topic: string, payload: string][];
}

/** Runs the Paho peer from a script in `dir`; environment carries the credentials. */
export function runPaho(dir: string, o: PahoOptions): PeerRun {
  const script = join(dir, "paho_peer.py");
  writeFileSync(script, PAHO_PEER);
  const args = [script, "127.0.0.1", String(o.port), o.clientId, String(o.count ?? 0), ...(o.topics ?? [])];
  return runPeer(SYSTEM_PYTHON, args, 20_000, {
    PAHO_USER: o.username ?? "",
    PAHO_PASS: o.password ?? "",
    PAHO_PUBLISH: JSON.stringify(o.publish ?? []),
  });
}

/** The `MSG <topic> <payload>` lines a Paho peer printed, parsed. */
export function pahoMessages(stdout: string): { topic: string; body: unknown }[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("MSG "))
    .map((l) => {
      const [, topic = "", payload = ""] = /^MSG (\S+) (.*)$/.exec(l) ?? [];
      return { topic, body: JSON.parse(payload) as unknown };
    });
}
