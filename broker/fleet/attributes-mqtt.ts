import type { Aedes, AedesPublishPacket, Client } from "aedes";
import { writeOrigin } from "../../shared/attribute-origins.ts";
import { AttributeError } from "../../shared/fleet-attributes.ts";
import { attributesTopic, parseAttributesTopic } from "../../shared/fleet-topics.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import type { Logger } from "../../shared/logger.ts";
import { isValidThingName } from "../../shared/topics.ts";
import type { MqttAccess } from "../mqtt/access.ts";
import { publishJson } from "../mqtt/publish.ts";
import { AttributeConflict } from "./attribute-store.ts";
import type { FleetService } from "./fleet-service.ts";

/**
 * Inventory over MQTT: `$umbra/things/{t}/attributes/update` with `{attributes, version?, clientToken?,
 * replace?, origin?}` (merged like PATCH; `replace: true` like PUT) and `…/attributes/get`, answered on `…/accepted` or `…/rejected`
 * `{code, message, clientToken}`. Publishing is authorized by the ACL like any thing-scoped topic;
 * who may write whose attributes is decided here (operators: granted things; devices and bridges:
 * their own). Devices and bridges write as `device` origin (shared/attribute-origins.ts).
 */
export function installAttributeTopics(
  broker: Aedes,
  access: MqttAccess,
  fleet: FleetService,
  log: Logger,
): () => void {
  const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return;
    const topic = parseAttributesTopic(packet.topic);
    if (!topic || topic.reply) return;
    const principal = access.sessions.get(client)?.principal;
    if (!principal) return;
    let token: string | undefined;
    const reply = (kind: "accepted" | "rejected", body: JsonObject) =>
      publishJson(broker, attributesTopic(topic.thing, topic.op, kind), {
        ...body,
        ...(token !== undefined ? { clientToken: token } : {}),
        timestamp: Math.floor(Date.now() / 1000),
      }).catch((err) => log.warn({ err }, "attributes reply failed"));
    const reject = (code: number, message: string) => void reply("rejected", { code, message });
    try {
      let body: JsonValue = {};
      if (packet.payload.length > 0) {
        try {
          body = JSON.parse(packet.payload.toString()) as JsonValue;
        } catch {
          return reject(400, "Payload is not valid JSON");
        }
      }
      if (!isJsonObject(body)) return reject(400, "Payload must be a JSON object");
      if (typeof body.clientToken === "string") token = body.clientToken;
      if (!isValidThingName(topic.thing)) return reject(400, "Invalid thing name");
      if (topic.op === "get") {
        const stored = fleet.attributes.get(topic.thing);
        if (!stored) return reject(404, `No attributes for thing '${topic.thing}'`);
        return void reply("accepted", { ...stored });
      }
      const denial = fleet.attributeDenial(principal, topic.thing);
      if (denial) return reject(403, denial);
      const version = body.version;
      if (version !== undefined && (typeof version !== "number" || !Number.isInteger(version))) {
        return reject(400, "version must be an integer");
      }
      const origin = writeOrigin(principal.role, body.origin);
      if (body.replace !== undefined && typeof body.replace !== "boolean")
        return reject(400, "replace must be true or false");
      const mode = body.replace === true ? "put" : "patch";
      const stored = fleet.writeAttributes(topic.thing, body.attributes ?? {}, mode, version, origin);
      void reply("accepted", { ...stored });
    } catch (err) {
      if (err instanceof AttributeError) return reject(400, err.message);
      if (err instanceof AttributeConflict) return reject(409, err.message);
      log.error({ err }, "attributes request failed");
      reject(500, "Internal error");
    }
  };
  broker.on("publish", onPublish);
  return () => broker.removeListener("publish", onPublish);
}
