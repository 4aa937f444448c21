import type { MqttClient } from "mqtt";
import { addIdentities, type IdentitySpec, loginAs, Recorder } from "./acl-clients.ts";
import type { TestNode } from "./node.ts";

/**
 * The cast of the ACL matrix: one identity per role, each with the thing it "owns" (a device's own
 * thing, a thing inside a bridge's or operator's grant) and one thing nobody but unscoped readers may
 * touch. Observers are an unscoped operator (sees everything but the relay) and a site (sees the relay).
 */
export const OTHER = "rack-9";

export interface Actor extends IdentitySpec {
  /** Short column label. */
  label: string;
  /** A thing this identity acts for (or, for readers, is scoped to). */
  own: string;
}

export const ACTORS: Actor[] = [
  { label: "device", name: "dev-1", role: "device", own: "dev-1" },
  { label: "bridge", name: "bridge-1", role: "bridge", things: "pdu-*,ups-?", own: "pdu-7" },
  { label: "operator", name: "op-pdu", role: "operator", things: "pdu-*", own: "pdu-7" },
  { label: "viewer", name: "viewer-1", role: "viewer", own: "pdu-7" },
  { label: "site", name: "site-b", role: "site", own: "pdu-7" },
];

export const OBSERVERS: IdentitySpec[] = [
  { name: "watch-op", role: "operator", things: "*" },
  { name: "watch-site", role: "site" },
];

export interface Cast {
  passwords: Map<string, string>;
  clients: Map<string, MqttClient>;
  recorders: Map<string, Recorder>;
  client(name: string): MqttClient;
  recorder(name: string): Recorder;
  end(): Promise<void>;
}

/** Creates every identity on the node and logs each one in over MQTT. */
export async function castOf(node: TestNode): Promise<Cast> {
  const passwords = addIdentities(node, [...ACTORS, ...OBSERVERS]);
  const clients = new Map<string, MqttClient>();
  const recorders = new Map<string, Recorder>();
  for (const [name, password] of passwords) {
    const c = await loginAs(node.mqttUrl, name, password);
    clients.set(name, c);
    recorders.set(name, new Recorder(c));
  }
  const get = <T>(m: Map<string, T>, name: string): T => {
    const v = m.get(name);
    if (v === undefined) throw new Error(`no client ${name}`);
    return v;
  };
  return {
    passwords,
    clients,
    recorders,
    client: (name) => get(clients, name),
    recorder: (name) => get(recorders, name),
    end: async () => {
      await Promise.all([...clients.values()].map((c) => c.endAsync(true)));
    },
  };
}
