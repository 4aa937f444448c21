import type { TLSSocket } from "node:tls";
import type { Aedes, AuthenticateError, Client, PublishPacket } from "aedes";
import { mayPublish, maySubscribe, type Principal } from "../../shared/acl.ts";
import type { SecurityLimits } from "../../shared/config.ts";
import type { Logger } from "../../shared/logger.ts";
import { usernameOf } from "../../shared/mqtt-username.ts";
import { isNodeOwnedTopic, parseShadowTopic } from "../../shared/topics.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { RequestLimiter } from "../auth/request-limiter.ts";
import { type Admission, SharedRequestLimits } from "../auth/request-limits.ts";
import { type HookLayer, liveClient, liveClients } from "./aedes-seam.ts";
import { isRefusedFilter } from "./conformance.ts";
import { responseRouteOf } from "./mqtt5.ts";
import type { ShadowMqttAdapter } from "./shadow-adapter.ts";

/**
 * Publishes the ACL refuses from MQTT 3.1.1 clients are acknowledged (3.1.1 has no way to say no) and
 * routed here: nobody may subscribe. MQTT 5 clients get reason code 0x87 instead.
 */
export const SINK_TOPIC = "$umbra/denied";

export interface Session {
  principal: Principal;
  limiter: RequestLimiter;
  /** Takes a shadow request's slot in every limit that applies (made once per session). */
  admit(thing: string): Admission;
  /** The stored password hash the login matched (undefined: certificate or anonymous), for rechecks. */
  credential?: string;
}

export interface ConnectionInfo {
  address: string;
  tls?: TLSSocket;
}

/**
 * Authentication and authorization on the broker: who a connection is (password or client
 * certificate), what it may subscribe to (SUBACK 0x80 otherwise) and publish (otherwise acknowledged
 * and dropped), and its shadow requests with their rate limit. Sessions are looked up per client.
 */
export class MqttAccess {
  readonly sessions = new WeakMap<Client, Session>();
  readonly connections = new WeakMap<Client, ConnectionInfo>();
  deniedPublishes = 0;
  deniedSubscriptions = 0;
  /** Shadow request limits per identity and per thing, across connections. */
  readonly requestLimits: SharedRequestLimits;

  constructor(
    private readonly broker: Aedes,
    private readonly authenticator: Authenticator,
    private readonly shadows: ShadowMqttAdapter,
    limits: SecurityLimits,
    private readonly log: Logger,
    // Identity behind each client id whose session outlives its connection (clean session 0): without it
    // another identity could connect with that id and inherit the session's subscriptions and queued
    // messages, past the ACL. A Map written through to SQLite (sessions survive restarts, broker/mqtt/persistence).
    private readonly persistentOwners: Map<string, string> = new Map(),
  ) {
    this.requestLimits = new SharedRequestLimits(limits);
  }

  /** Its layer of the broker's hooks (aedes-seam.ts): the innermost, over aedes' defaults. */
  layer(): HookLayer {
    return {
      name: "access",
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (err) => done(err, err === null),
          (err) => {
            this.log.error({ err }, "authentication failed unexpectedly");
            done(refusalError(3, "server unavailable"), false);
          },
        );
      },
      authorizeSubscribe: (client, sub, done) => {
        const principal = this.sessions.get(client)?.principal;
        const allowed =
          principal !== undefined &&
          !isRefusedFilter(sub.topic) &&
          !sub.topic.startsWith(SINK_TOPIC) &&
          maySubscribe(principal, sub.topic);
        if (!allowed) this.deniedSubscriptions++;
        done(null, allowed ? sub : null);
      },
      authorizePublish: (client, packet, done) => {
        const session = client ? this.sessions.get(client) : undefined;
        if (packet.topic.startsWith("$SYS")) {
          // Reserved for the broker. Denied like any other publish (acknowledged, delivered to nobody):
          // an error here would make aedes drop the connection, which mosquitto does not do either.
          packet.topic = SINK_TOPIC;
          packet.retain = false;
          return done(null);
        }
        if (!client || !session) return done(null); // the broker's own publishes (e.g. wills of gone clients)
        const shadow = parseShadowTopic(packet.topic);
        // Replies (shadow, attributes) and presence: acknowledged, never forwarded (conformance).
        if (shadow ? shadow.reply !== undefined : isNodeOwnedTopic(packet.topic)) return done(null);
        if (shadow === null) return this.authorizePlain(client, session, packet, done);
        // A shadow request waits here while the node has as many as it works on at once (request-flow.ts).
        this.shadows.flow.admit(() => {
          const dispatched = this.shadows.dispatch(shadow, packet.payload, {
            client,
            principal: session.principal,
            admit: session.admit,
            response: responseRouteOf(packet),
          });
          // A shadow request refused for its requester (403, 429) reaches nobody else: subscribers of the
          // request topic (e.g. the device watching `…/shadow/#`) must not see a write that was refused.
          if (dispatched === "refused" || !mayPublish(session.principal, packet.topic))
            return this.deny(client, packet, done);
          this.shadows.routeOnlyIfWanted(packet);
          done(null);
        });
      },
    };
  }

  /** A publish the ACL decides alone (anything but a shadow request, or a request once dispatched). */
  private authorizePlain(
    client: Client,
    session: Session,
    packet: PublishPacket,
    done: (err: Error | null) => void,
  ) {
    if (mayPublish(session.principal, packet.topic)) return done(null);
    this.deny(client, packet, done);
  }

  /** Acknowledged and delivered to nobody (MQTT 3.1.1), or refused with 0x87 (MQTT 5, connection kept). */
  private deny(client: Client, packet: PublishPacket, done: (err: Error | null) => void) {
    this.deniedPublishes++;
    this.log.debug({ client: client.id, topic: packet.topic }, "publish denied");
    // MQTT 5 can say no: aedes answers PUBACK/PUBREC 0x87 and keeps the connection (docs/mqtt5.md).
    if (client.version === 5) return done(new Error("not authorized"));
    packet.topic = SINK_TOPIC;
    packet.retain = false;
    done(null);
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthenticateError | null> {
    username = usernameOf(username); // AWS SDK metrics suffix (`name?SDK=…`) ignored, as AWS IoT Core does
    const info = this.connections.get(client);
    const tls = info?.tls;
    let certificateName: string | undefined;
    const cert = tls?.getPeerCertificate();
    if (cert && Object.keys(cert).length > 0) {
      // A certificate that did not verify against the CA (wrong CA, expired, …) is refused outright.
      if (!tls?.authorized)
        return refusalError(5, `client certificate not accepted: ${tls?.authorizationError}`);
      certificateName = typeof cert.subject?.CN === "string" ? cert.subject.CN : undefined;
      if (username !== undefined && certificateName !== undefined && username !== certificateName) {
        return refusalError(5, "user name does not match the client certificate");
      }
      if (certificateName !== undefined) username = undefined;
    }
    const result = await this.authenticator.authenticate({
      username,
      password,
      certificateName,
      address: info?.address ?? "unknown",
    });
    if (!result.ok) {
      // Each refusal at info (a brute force must not flood the log); the start of a block at warn.
      if (result.blocked)
        this.log.warn({ address: info?.address }, "address blocked after repeated failed logins");
      this.log.info(
        { client: client.id, address: info?.address, reason: result.reason },
        "connection refused",
      );
      return refusalError(result.code, result.reason);
    }
    // A client id held by another identity (live, or a persistent session) is not taken over: MQTT's
    // takeover would kick that client and hand over its subscriptions and queued messages.
    const owner = ownerKey(result.principal);
    const holder = this.holderOf(client.id);
    if (holder !== undefined && holder !== owner) {
      this.log.info(
        { client: client.id, address: info?.address },
        "connection refused: client id held by another identity",
      );
      return refusalError(2, "client id is in use by another identity");
    }
    if (client.clean) this.persistentOwners.delete(client.id);
    else this.persistentOwners.set(client.id, owner);
    const limits = this.requestLimits;
    const session: Session = {
      principal: result.principal,
      limiter: limits.forConnection(),
      // Reads the session's principal at each request: a recheck may replace it.
      admit: (thing) => limits.admit(session.limiter, session.principal, thing),
      ...(result.credential === undefined ? {} : { credential: result.credential }),
    };
    this.sessions.set(client, session);
    return null;
  }

  /** Who holds a client id: the identity of its live connection, else of its persistent session. */
  private holderOf(clientId: string): string | undefined {
    const live = liveClient(this.broker, clientId);
    const principal = live ? this.sessions.get(live)?.principal : undefined;
    return principal ? ownerKey(principal) : this.persistentOwners.get(clientId);
  }

  /**
   * Re-checks every live session against the identity store: sessions of revoked identities, and
   * sessions whose password is no longer accepted (rotated), are disconnected.
   */
  recheck(lookup: (principal: Principal, credential: string | undefined) => Principal | undefined): number {
    let kicked = 0;
    for (const client of liveClients(this.broker)) {
      const session = this.sessions.get(client);
      if (!session) continue;
      const fresh = lookup(session.principal, session.credential);
      if (fresh) session.principal = fresh;
      else {
        kicked++;
        this.log.info(
          { client: client.id, identity: session.principal.name },
          "identity revoked or its password changed: disconnecting",
        );
        client.close();
      }
    }
    return kicked;
  }
}

function ownerKey(p: Principal): string {
  return `${p.role}:${p.name}`;
}

function refusalError(code: number, message: string): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  (err as { returnCode: number }).returnCode = code;
  return err;
}
