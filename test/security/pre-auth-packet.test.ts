import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSecureNode } from "../helpers/acl-clients.ts";
import { varint } from "../helpers/mqtt-fuzz-cases.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * Issue 17, item 5 (issue 12, item 13): 1,500 unauthenticated sockets each declaring a 262,000-byte
 * CONNECT were held until the connect timeout (RSS +250 MB): FIRST_PACKET_BYTES was never applied.
 */
describe("security: the packet limit before CONNECT", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startSecureNode({ connectTimeoutMs: 20_000 });
  });
  afterAll(() => node.stop());

  /** Sends `bytes` and resolves with how long the node took to close the socket (or -1 if it did not within `waitMs`). */
  function closedAfter(bytes: Buffer, waitMs = 10_000): Promise<number> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket: Socket = connect(node.mqttPort, "127.0.0.1", () => socket.write(bytes));
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(-1);
      }, waitMs);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });
  }

  it("cuts a connection whose CONNECT declares 262,000 bytes at its header, long before the connect timeout", async () => {
    const header = Buffer.concat([Buffer.from([0x10]), varint(262_000), Buffer.alloc(1024, 0x41)]);
    const ms = await closedAfter(header);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(10_000);
  });

  it("still holds a CONNECT declaring 60,000 bytes (under the first-packet limit) until the timeout", async () => {
    // The control: the same attack under 64 KiB is not cut at the header, so the first test measures the limit.
    const header = Buffer.concat([Buffer.from([0x10]), varint(60_000), Buffer.alloc(1024, 0x41)]);
    expect(await closedAfter(header, 2000)).toBe(-1);
  });
});
