import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../broker/config-load.ts";
import { startNode } from "../../broker/node.ts";
import { relayTopic } from "../../broker/relay/parent-side.ts";
import { encodeFrame } from "../../shared/relay/protocol.ts";
import { connectClient } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, linkUp, startSite, write } from "../helpers/relay-sites.ts";

/**
 * A peer that sends garbage on its relay topic (a bug, a version mismatch, an attacker holding a site
 * identity): the parent refuses each frame with a clear reason (at debug), warns once (a hostile site
 * must not flood the log, issue 17) and keeps serving everyone else; relayed messages can never forge
 * the node's own `$` topics.
 */
describe("relay: garbage from a peer", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it("refuses each bad frame, warns once, keeps running, and republishes no forged $ topic", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n"))
          if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const dataDir = mkdtempSync(join(tmpdir(), "umbra-garbage-"));
    const config = {
      ...loadConfig({
        flags: { mqttPort: 0, httpPort: 0, site: "core", host: "127.0.0.1", requestRate: 1_000_000 },
      }),
      dataDir,
      allowAnonymous: false,
      syncDeltaMs: 20,
      syncMax: 100,
    };
    const running = await startNode(config, pino({ level: "debug" }, sink));
    stops.push(async () => {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const core = Object.assign(running, {
      mqttPort: Number(new URL(running.mqttUrl).port),
    }) as unknown as TestNode;

    // An honest edge keeps working throughout.
    const edge = await startSite({ site: "edge", parents: [{ node: core, grant: "pdu-*" }] });
    stops.push(() => edge.stop());
    await linkUp(edge, "parent:core");

    // A watcher that sees everything the core publishes, shadow topics included (operators may not
    // subscribe to `$umbra/relay/…`; the forged frame to the edge is caught by the same rule).
    const opPassword = core.identities.add("watch", "operator", "*");
    const watcher = await connectClient(core.mqttUrl, { username: "watch", password: opPassword });
    stops.push(() => watcher.endAsync());
    const seen: string[] = [];
    watcher.on("message", (topic) => seen.push(topic));
    await watcher.subscribeAsync(["#", "$aws/#"], { qos: 1 });

    // The rogue holds a real site identity, so it may publish on its own relay topic.
    const roguePassword = core.identities.add("rogue", "site", "pdu-*");
    const rogue = await connectClient(core.mqttUrl, { username: "rogue", password: roguePassword });
    stops.push(() => rogue.endAsync());
    const up = relayTopic("rogue", "up");
    const frames: [string, Uint8Array][] = [
      ["random bytes", new Uint8Array(Buffer.from("hello, not a frame"))],
      ["magic then junk", new Uint8Array([0x55, 0x52, 1, 0xde, 0xad, 0xbe, 0xef])],
      ["future version", new Uint8Array([0x55, 0x52, 9, 0, 0])],
      ["digest with a wrong bucket count", encodeFrame({ t: "digest", buckets: ["00", "11", "22"] })],
      ["digest with no buckets", encodeFrame({ t: "digest", buckets: 5 } as never)],
      [
        "heads naming a bad key",
        encodeFrame({ t: "heads", bucketCount: 1, buckets: [0], heads: { "../x": ["ab"] } }),
      ],
      ["ack without epoch", encodeFrame({ t: "ack", seq: 1 } as never)],
      ["unknown kind", encodeFrame({ t: "teleport" } as never)],
      [
        "messages forging $ topics",
        encodeFrame({
          t: "messages",
          epoch: 1,
          seq: 1,
          sentAt: Date.now(),
          floor: 0,
          messages: [
            {
              origin: "o",
              seq: 1,
              topic: "$aws/things/pdu-1/shadow/update/delta",
              ts: 1,
              qos: 1,
              payload: new Uint8Array([123, 125]),
            },
            {
              origin: "o",
              seq: 2,
              topic: "$umbra/relay/edge/down",
              ts: 1,
              qos: 1,
              payload: new Uint8Array([1]),
            },
            {
              origin: "o",
              seq: 3,
              topic: "things/ups-1/telemetry/t",
              ts: 1,
              qos: 1,
              payload: new Uint8Array([49]),
            },
            {
              origin: "o",
              seq: 4,
              topic: "things/pdu-1/telemetry/t",
              ts: 1,
              qos: 1,
              payload: new Uint8Array([50]),
            },
          ],
        }),
      ],
    ];
    // A hello first, so the core has a link for the rogue (frames before it are handled the same way).
    await rogue.publishAsync(up, Buffer.from(encodeFrame({ t: "hello", site: "rogue", epoch: 7, v: 1 })), {
      qos: 1,
    });
    for (const [, bytes] of frames) await rogue.publishAsync(up, Buffer.from(bytes), { qos: 1 });

    // The core still relays for the honest edge.
    await write(edge, addr("pdu-1"), { state: { reported: { ok: true } } });
    await converged([core, edge], [addr("pdu-1")]);
    await new Promise((r) => setTimeout(r, 300));

    const warned = lines.filter((l) => String(l.msg).startsWith("relay: frame from the peer refused"));
    expect(warned.map((l) => [l.level, l.reason])).toEqual([[40, "not a relay frame"]]);
    const dropped = lines.filter((l) => l.msg === "relay: frame refused");
    expect(dropped.map((l) => l.reason)).toEqual([
      "not a relay frame",
      expect.stringMatching(/^corrupt relay frame/),
      "relay protocol version 9 is not supported (this node speaks 1)",
      "relay digest frame: bad or missing 'buckets'",
      "relay digest frame: bad or missing 'buckets'",
      'relay heads frame: heads: "../x" is not a shadow key',
      "relay ack frame: bad or missing 'epoch'",
      'unknown relay frame kind "teleport"',
    ]);
    for (const l of dropped) expect(l.peer).toBe("child:rogue");
    expect(lines.some((l) => String(l.msg).includes("messages on topics this site may not publish"))).toBe(
      true,
    );
    // Only the legitimate message was republished; nothing on a $ topic came from the rogue.
    expect(seen.filter((t) => t.startsWith("things/"))).toEqual(["things/pdu-1/telemetry/t"]);
    expect(seen).not.toContain("$aws/things/pdu-1/shadow/update/delta");
    expect(lines.some((l) => JSON.stringify(l.topics ?? []).includes("$umbra/relay/edge/down"))).toBe(true);
  });
});
