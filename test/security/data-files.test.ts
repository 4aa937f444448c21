import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

/**
 * Issue 17, item 6 (and issue 12, item 10): with umask 022 the data dir was 0755 and umbra.db (password
 * hashes, token digests, every shadow), its -wal/-shm, telemetry.db* and mqtt.db* were 0644.
 */
const mode = (path: string) => statSync(path).mode & 0o777;

describe("security: data files are private whatever the umask", () => {
  let node: TestNode | undefined;
  let umask: number | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    if (umask !== undefined) process.umask(umask);
  });

  it("makes the data dir 0700 and every database file 0600 under umask 022", async () => {
    umask = process.umask(0o022);
    // An existing, world-readable data dir is tightened too.
    const dataDir = join(tempDir(), "data");
    mkdirSync(dataDir, { mode: 0o755 });
    expect(mode(dataDir)).toBe(0o755);
    node = await startTestNode({ dataDir });
    const client = await connectClient(node.mqttUrl);
    await client.publishAsync("things/pdu-1/telemetry/power", "231", { qos: 1 });
    await client.publishAsync("$aws/things/pdu-1/shadow/update", '{"state":{"reported":{"on":1}}}', {
      qos: 1,
    });
    await client.endAsync();
    // mqtt.db holds retained messages and queued QoS 1 messages for offline sessions: payloads too.
    const files = [
      "umbra.db",
      "umbra.db-wal",
      "umbra.db-shm",
      "telemetry.db",
      "telemetry.db-wal",
      "mqtt.db",
      "mqtt.db-wal",
    ];
    // The databases are in WAL mode, so their -wal/-shm exist while the node runs.
    for (let i = 0; i < 100 && !files.every((f) => existsSync(join(dataDir, f))); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(mode(dataDir)).toBe(0o700);
    for (const f of files) {
      expect(existsSync(join(dataDir, f)), f).toBe(true);
      expect({ f, mode: mode(join(dataDir, f)).toString(8) }).toEqual({ f, mode: "600" });
    }
  });
});
