import type { Client } from "aedes";

/**
 * Holds a client's outgoing bytes from the moment its shadow request arrives until the reply is
 * written, so the PUBACK of the request and its `accepted`/`rejected` reply leave in one socket write
 * instead of two (docs/shadow-engine.md, "Threads": on loopback each write costs ~25 µs of the main
 * thread, a tenth of an update). MQTT lets the PUBACK come at any time before the client's in-flight
 * window matters; it is delayed by one group commit (milliseconds).
 *
 * At most one request per connection holds the cork at a time: with requests pipelined on one
 * connection (an operator), each reply releases what was held so far, so nothing waits for more than
 * one commit, and Node's cork counter can never stay above zero.
 */
export class ReplyCork {
  private readonly held = new WeakSet<Client>();

  /** Corks the client's stream unless a request of it already holds it; true if this one does. */
  hold(client: Client): boolean {
    const conn = client.conn as { cork?: () => void } | undefined;
    if (this.held.has(client) || typeof conn?.cork !== "function") return false;
    conn.cork();
    this.held.add(client);
    return true;
  }

  /**
   * Releases the cork taken by `hold`, once the reply was handed to the stream. aedes writes a QoS 1
   * delivery in a setImmediate of its own, so the release waits one turn for a reply sent that way.
   */
  release(client: Client, afterTurn = false): void {
    const free = () => {
      this.held.delete(client);
      const conn = client.conn as { uncork?: () => void } | undefined;
      conn?.uncork?.();
    };
    if (afterTurn) setImmediate(free);
    else free();
  }
}
