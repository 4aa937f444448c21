/**
 * Inventory over MQTT (docs/fleet.md): `$umbra/things/{thing}/attributes/{get|update}` requests and
 * their `/accepted` and `/rejected` replies (published by the node only). The thing name is checked
 * by the handler (this file stays free of imports: shared/topics.ts uses it).
 */
export type AttributesOp = "get" | "update";
export interface AttributesTopic {
  thing: string;
  op: AttributesOp;
  reply?: "accepted" | "rejected";
}

export function attributesTopic(thing: string, op: AttributesOp, reply?: "accepted" | "rejected"): string {
  return `$umbra/things/${thing}/attributes/${op}${reply ? `/${reply}` : ""}`;
}

export function parseAttributesTopic(topic: string): AttributesTopic | null {
  // Every publish the node sees is asked (the broker's publish event): most are not under $umbra/things/.
  if (!topic.startsWith("$umbra/things/")) return null;
  const levels = topic.split("/");
  if (levels.length < 5 || levels.length > 6) return null;
  const [root, things, thing, attributes, op, reply] = levels;
  if (root !== "$umbra" || things !== "things" || attributes !== "attributes") return null;
  if (thing === undefined || thing === "" || thing === "+" || thing === "#") return null;
  if (op !== "get" && op !== "update") return null;
  if (reply !== undefined && reply !== "accepted" && reply !== "rejected") return null;
  return reply === undefined ? { thing, op } : { thing, op, reply };
}
