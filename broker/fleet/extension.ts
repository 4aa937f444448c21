import type { AedesPublishPacket } from "aedes";
import type { Presence } from "../../shared/shadow-document.ts";
import type { ExtensionDefinition, NodeExtension } from "../extension.ts";
import { installAttributeTopics } from "./attributes-mqtt.ts";
import { AttributesRelay } from "./attributes-relay.ts";
import { FleetService } from "./fleet-service.ts";
import { PresenceRelay } from "./presence-relay.ts";
import { answerThingQuery, fleetRoutes, isFleetQuery } from "./routes.ts";
import { SystemsRelay } from "./systems-relay.ts";

export interface FleetExtension extends NodeExtension {
  readonly fleet: FleetService;
  readonly systemsRelay: SystemsRelay;
}

const PRESENCE = /^\$umbra\/things\/([^/]+)\/presence$/;

/**
 * The fleet (docs/fleet.md): inventory, the fleet index and queries, systems, the conflicts view.
 * Started first among the extensions, so its commit hook sees every change any other one causes.
 */
export const fleetExtension: ExtensionDefinition = {
  name: "fleet",
  start(ctx) {
    // Presence changes not yet written (e.g. start-up's "everyone disconnected") go to SQLite first.
    ctx.presence.flush();
    const fleet = new FleetService(ctx.db, ctx.store);
    ctx.log.info({ ...fleet.loaded, things: fleet.index.size }, "fleet index loaded");
    const presenceRelay = new PresenceRelay(ctx, fleet);
    ctx.presence.resolve = (thing, own) =>
      fleet.index.resolvePresence(own, fleet.index.relayedPresenceOf(thing));
    presenceRelay.reconcile();
    const stopLinkWatch = presenceRelay.watchLinks();
    const attributesRelay = new AttributesRelay(ctx, fleet, () => presenceRelay.relays());
    fleet.onAttributesWritten = (thing, state) => attributesRelay.mirror(thing, state);
    ctx.service.on("change", attributesRelay.onChange);
    attributesRelay.reconcile();
    const systemsRelay = new SystemsRelay(ctx, fleet.systems, () => presenceRelay.relays());
    fleet.systems.onLocalChange = systemsRelay.onLocalChange;
    ctx.service.on("change", systemsRelay.onChange);
    systemsRelay.reconcile();
    ctx.service.desiredChecks.push(fleet.grants.check);
    const stopMqtt = installAttributeTopics(ctx.broker, ctx.access, fleet, ctx.log);
    // Presence as announced by the node (retained `$umbra/things/{t}/presence`, from any origin).
    const onPresence = (packet: AedesPublishPacket, cb: () => void) => {
      const m = PRESENCE.exec(packet.topic);
      try {
        if (m?.[1] && packet.payload.length > 0) {
          const p = JSON.parse(packet.payload.toString()) as Presence;
          fleet.setPresence(m[1], p);
          presenceRelay.announce(m[1], p);
        }
      } catch {
        // not a presence document: ignore
      }
      cb();
    };
    ctx.broker.subscribe("$umbra/things/+/presence", onPresence, () => {});
    const ext: FleetExtension = {
      fleet,
      systemsRelay,
      thingQuery: (req, reply, who) =>
        isFleetQuery(req.query) ? answerThingQuery(fleet, req, reply, who) : undefined,
      routes: (app, who) => fleetRoutes(fleet, app, who),
      close() {
        fleet.close();
        stopMqtt();
        stopLinkWatch();
        ctx.service.off("change", attributesRelay.onChange);
        ctx.service.off("change", systemsRelay.onChange);
        systemsRelay.close();
        const i = ctx.service.desiredChecks.indexOf(fleet.grants.check);
        if (i >= 0) ctx.service.desiredChecks.splice(i, 1);
        ctx.broker.unsubscribe("$umbra/things/+/presence", onPresence, () => {});
      },
    };
    return ext;
  },
};
