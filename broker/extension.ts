import type { Aedes } from "aedes";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import type { Principal } from "../shared/acl.ts";
import type { NodeConfig } from "../shared/config.ts";
import type { Logger } from "../shared/logger.ts";
import type { IdentityStore } from "./auth/identity-store.ts";
import type { MqttAccess } from "./mqtt/access.ts";
import type { ForwardWatchers } from "./mqtt/aedes-seam.ts";
import type { PresenceTracker } from "./presence.ts";
import type { GroupCommit } from "./shadow/group-commit.ts";
import type { ShadowService } from "./shadow/shadow-service.ts";
import type { ShadowStore } from "./shadow/shadow-store.ts";
import type { Db } from "./store/database.ts";

/**
 * What a node capability beyond the shadow core (telemetry, Sparkplug, relay, metrics) gets to work
 * with. Capabilities are started in order after the core is up and before any listener accepts, and
 * closed in reverse order before the core closes.
 */
export interface NodeContext {
  readonly config: NodeConfig;
  /** The node's SQLite database (shadows, identities, presence). Capabilities may add tables. */
  readonly db: Db;
  readonly log: Logger;
  readonly store: ShadowStore;
  readonly service: ShadowService;
  readonly commits: GroupCommit;
  readonly broker: Aedes;
  /** Watch what the broker forwards to subscribers (after every hook layer let it through). */
  readonly forwarded: ForwardWatchers;
  readonly identities: IdentityStore;
  /** Who each MQTT client is: `access.sessions.get(client)?.principal`. */
  readonly access: MqttAccess;
  readonly presence: PresenceTracker;
  /** This node's Prometheus registry (one per node, so several nodes can run in one process). */
  readonly metrics: Registry;
  /** A capability started earlier, by name (e.g. Sparkplug uses "telemetry"). */
  extension<T extends NodeExtension>(name: string): T | undefined;
}

export interface NodeExtension {
  /**
   * Adds HTTP routes to every API listener. Requests are already authenticated (401 otherwise);
   * `principalOf(req)` is who is asking.
   */
  routes?(app: FastifyInstance, principalOf: (req: FastifyRequest) => Principal): void;
  /**
   * Answers `GET /things` when it carries what the plain listing does not take (the fleet query:
   * `q`, `sort`, `fields`); returns undefined to leave the request to the plain listing.
   */
  thingQuery?(req: FastifyRequest, reply: FastifyReply, principal: Principal): FastifyReply | undefined;
  /** Stops the capability; called once, before the broker and the store close. */
  close?(): Promise<void> | void;
}

export interface ExtensionDefinition {
  readonly name: string;
  start(ctx: NodeContext): Promise<NodeExtension> | NodeExtension;
}
