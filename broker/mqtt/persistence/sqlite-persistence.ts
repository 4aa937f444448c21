import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import Database from "better-sqlite3";
import { decodePacket, encodePacket } from "./packet-codec.ts";

/**
 * aedes persistence that survives restarts: retained messages, subscriptions of persistent sessions,
 * their queued QoS 1/2 messages (bounded per client; what does not fit is counted, never silently
 * lost), in-flight incoming QoS 2 packets and wills, in SQLite (better-sqlite3, WAL).
 *
 * Reads are served by aedes-persistence's own in-memory implementation (its topic trie, its streams);
 * every change is written through to SQLite synchronously before the call resolves, and `setup()`
 * loads SQLite back into memory. So the semantics are those of the reference implementation, and it
 * passes aedes-persistence's abstract test suite (test/unit/mqtt-persistence.test.ts).
 */
const require = createRequire(import.meta.url);

type Packet = {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  cmd?: string;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  retain?: boolean;
  [key: string]: unknown;
};
type Sub = {
  topic: string;
  qos: number;
  rh?: number;
  rap?: number;
  nl?: boolean;
  subscriptionIdentifier?: number;
};
type ClientRef = { id: string };
type QueuedSub = { clientId: string };

interface MemoryPersistence {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: Packet): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  addSubscriptions(client: ClientRef, subs: Sub[]): Promise<void>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingEnqueue(sub: QueuedSub, packet: Packet): Promise<void>;
  outgoingEnqueueCombi(subs: QueuedSub[], packet: Packet): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: Packet): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined>;
  incomingStorePacket(client: ClientRef, packet: Packet): Promise<void>;
  incomingDelPacket(client: ClientRef, packet: Packet): Promise<void>;
  putWill(client: ClientRef, packet: Packet): Promise<void>;
  delWill(client: ClientRef): Promise<Packet | undefined>;
  destroy(): Promise<void>;
}
const Memory = require("aedes-persistence/asyncPersistence.js") as new () => MemoryPersistence;

export interface SqlitePersistenceOptions {
  /** Queued QoS 1/2 messages kept per offline client; more are dropped and counted. */
  maxQueuedPerClient?: number;
  /** Called for each message a full queue could not take. */
  onOverflow?: (clientId: string, topic: string) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub TEXT NOT NULL,
    PRIMARY KEY (client_id, topic));
  CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
    broker_id TEXT, broker_counter INTEGER, message_id INTEGER, packet TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS outgoing_client ON outgoing (client_id, seq);
  CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet TEXT NOT NULL,
    PRIMARY KEY (client_id, message_id));
  CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, packet TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS owners (client_id TEXT PRIMARY KEY, owner TEXT NOT NULL);
`;

/**
 * Which identity holds each persistent session's client id, written through to SQLite: a session that
 * survives a restart must not become anyone's to take over (broker/mqtt/access.ts uses it as its Map).
 */
export class SessionOwners extends Map<string, string> {
  constructor(private readonly db?: Database.Database) {
    super();
    if (!db) return;
    for (const r of db.prepare("SELECT client_id, owner FROM owners").all() as {
      client_id: string;
      owner: string;
    }[])
      super.set(r.client_id, r.owner);
  }
  override set(clientId: string, owner: string): this {
    if (super.get(clientId) !== owner)
      this.db?.prepare("INSERT OR REPLACE INTO owners (client_id, owner) VALUES (?, ?)").run(clientId, owner);
    return super.set(clientId, owner);
  }
  override delete(clientId: string): boolean {
    if (super.has(clientId)) this.db?.prepare("DELETE FROM owners WHERE client_id = ?").run(clientId);
    return super.delete(clientId);
  }
}

export class SqlitePersistence extends (Memory as new () => MemoryPersistence) {
  private readonly db: Database.Database;
  private readonly maxQueued: number;
  /** Messages dropped because a client's queue was full, since start. */
  overflowed = 0;
  /** Prepared once, run many times: preparing on every call cost ~5 % of the node's CPU under load. */
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Rows of `outgoing` per client, kept in step with the table (only this class writes it): the queue
   * bound needs no COUNT, and a PUBACK from a client with nothing queued (every clean session: aedes
   * queues only for persistent ones) needs no DELETE, which was ~3 % of the main thread under load.
   */
  private readonly queued = new Map<string, number>();

  constructor(
    file: string,
    private readonly opts: SqlitePersistenceOptions = {},
  ) {
    super();
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL"); // survives a killed process; a power cut may lose the last commit
    this.db.exec(SCHEMA);
    this.maxQueued = opts.maxQueuedPerClient ?? 1000;
    for (const r of this.stmt("SELECT client_id, COUNT(*) AS n FROM outgoing GROUP BY client_id").all() as {
      client_id: string;
      n: number;
    }[])
      this.queued.set(r.client_id, r.n);
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    const all = <T>(sql: string) => this.stmt(sql).all() as T[];
    for (const r of all<{ packet: string }>("SELECT packet FROM retained"))
      await super.storeRetained(decodePacket<Packet>(r.packet));
    const subs = new Map<string, Sub[]>();
    for (const r of all<{ client_id: string; sub: string }>("SELECT client_id, sub FROM subscriptions"))
      subs.set(r.client_id, [...(subs.get(r.client_id) ?? []), decodePacket<Sub>(r.sub)]);
    for (const [id, list] of subs) await super.addSubscriptions({ id }, list);
    for (const r of all<{ client_id: string; message_id: number | null; packet: string }>(
      "SELECT client_id, message_id, packet FROM outgoing ORDER BY seq",
    )) {
      const packet = decodePacket<Packet>(r.packet);
      await super.outgoingEnqueue({ clientId: r.client_id }, packet);
      if (r.message_id !== null)
        await super.outgoingUpdate({ id: r.client_id }, { ...packet, messageId: r.message_id });
    }
    for (const r of all<{ client_id: string; packet: string }>("SELECT client_id, packet FROM incoming"))
      await super.incomingStorePacket({ id: r.client_id }, decodePacket<Packet>(r.packet));
    for (const r of all<{ client_id: string; packet: string }>("SELECT client_id, packet FROM wills")) {
      const will = decodePacket<Packet>(r.packet);
      const brokerId = will.brokerId;
      await super.putWill({ id: r.client_id }, will);
      // Kept as stored: a will of the previous run belongs to that run's broker, whatever id this one has.
      will.brokerId = brokerId;
    }
  }

  /** The persistent sessions' owners, kept in the same database. */
  sessionOwners(): SessionOwners {
    return new SessionOwners(this.db);
  }

  /** Retained messages, read synchronously (for an index built at start-up). */
  retainedSnapshot(): Packet[] {
    const rows = this.stmt("SELECT packet FROM retained").all() as { packet: string }[];
    return rows.map((r) => decodePacket<Packet>(r.packet));
  }

  override async storeRetained(packet: Packet): Promise<void> {
    await super.storeRetained(packet);
    if (packet.payload.length === 0) this.stmt("DELETE FROM retained WHERE topic = ?").run(packet.topic);
    else
      this.stmt("INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)").run(
        packet.topic,
        encodePacket(packet),
      );
  }

  override async addSubscriptions(client: ClientRef, subs: Sub[]): Promise<void> {
    await super.addSubscriptions(client, subs);
    const put = this.stmt("INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const s of subs) put.run(client.id, s.topic, encodePacket(s));
    })();
  }

  override async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    const del = this.stmt("DELETE FROM subscriptions WHERE client_id = ? AND topic = ?");
    this.db.transaction(() => {
      for (const t of topics) del.run(client.id, t);
    })();
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await super.cleanSubscriptions(client);
    this.stmt("DELETE FROM subscriptions WHERE client_id = ?").run(client.id);
  }

  override async outgoingEnqueue(sub: QueuedSub, packet: Packet): Promise<void> {
    await this.outgoingEnqueueCombi([sub], packet);
  }

  override async outgoingEnqueueCombi(subs: QueuedSub[], packet: Packet): Promise<void> {
    const fits = subs.filter((s) => {
      if ((this.queued.get(s.clientId) ?? 0) < this.maxQueued) return true;
      this.overflowed++;
      this.opts.onOverflow?.(s.clientId, packet.topic);
      return false;
    });
    if (fits.length === 0) return;
    await super.outgoingEnqueueCombi(fits, packet);
    const put = this.stmt(
      "INSERT INTO outgoing (client_id, broker_id, broker_counter, message_id, packet) VALUES (?, ?, ?, NULL, ?)",
    );
    const text = encodePacket({ ...packet, messageId: undefined });
    this.db.transaction(() => {
      for (const s of fits) put.run(s.clientId, packet.brokerId ?? null, packet.brokerCounter ?? null, text);
    })();
    for (const s of fits) this.queued.set(s.clientId, (this.queued.get(s.clientId) ?? 0) + 1);
  }

  override async outgoingUpdate(client: ClientRef, packet: Packet): Promise<void> {
    await super.outgoingUpdate(client, packet);
    // The same two cases as the in-memory queue: the message got its packet id, or (QoS 2) its PUBLISH
    // was replaced by the PUBREL that carries the same id.
    const byCounter = this.stmt(
      "UPDATE outgoing SET message_id = ? WHERE client_id = ? AND broker_id = ? AND broker_counter = ?",
    ).run(packet.messageId ?? null, client.id, packet.brokerId ?? null, packet.brokerCounter ?? null);
    if (byCounter.changes > 0) return;
    this.stmt(
      `UPDATE outgoing SET packet = ?, broker_id = ?, broker_counter = ? WHERE seq =
           (SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1)`,
    ).run(
      encodePacket(packet),
      packet.brokerId ?? null,
      packet.brokerCounter ?? null,
      client.id,
      packet.messageId ?? null,
    );
  }

  override async outgoingClearMessageId(client: ClientRef, packet: Packet): Promise<Packet | undefined> {
    const cleared = await super.outgoingClearMessageId(client, packet);
    const rows = this.queued.get(client.id);
    if (rows === undefined) return cleared;
    const { changes } = this.stmt(
      "DELETE FROM outgoing WHERE seq = (SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1)",
    ).run(client.id, packet.messageId ?? null);
    if (changes === 0) return cleared;
    if (rows > 1) this.queued.set(client.id, rows - 1);
    else this.queued.delete(client.id);
    return cleared;
  }

  override async incomingStorePacket(client: ClientRef, packet: Packet): Promise<void> {
    await super.incomingStorePacket(client, packet);
    this.stmt("INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)").run(
      client.id,
      packet.messageId ?? 0,
      encodePacket(packet),
    );
  }

  override async incomingDelPacket(client: ClientRef, packet: Packet): Promise<void> {
    await super.incomingDelPacket(client, packet);
    this.stmt("DELETE FROM incoming WHERE client_id = ? AND message_id = ?").run(
      client.id,
      packet.messageId ?? 0,
    );
  }

  override async putWill(client: ClientRef, packet: Packet): Promise<void> {
    await super.putWill(client, packet);
    this.stmt("INSERT OR REPLACE INTO wills (client_id, packet) VALUES (?, ?)").run(
      client.id,
      encodePacket(packet),
    );
  }

  override async delWill(client: ClientRef): Promise<Packet | undefined> {
    const will = await super.delWill(client);
    this.stmt("DELETE FROM wills WHERE client_id = ?").run(client.id);
    return will;
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.db.close();
  }
}
