import { afterEach, describe, expect, it } from "vitest";
import { createTestPki } from "../helpers/certs.ts";
import type { TestNode } from "../helpers/node.ts";
import { parseSamples, promtoolCheck, promtoolMissing } from "../helpers/prometheus.ts";
import { addr, converged, eventually, linkUp, remove, startSite, write } from "../helpers/relay-sites.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

describe("relay: edge ↔ core", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("dials the parent over mqtts, verifying its certificate against --parent-ca", async () => {
    const pki = createTestPki();
    try {
      const tls = { tlsPort: 0, tlsCert: pki.server.cert, tlsKey: pki.server.key };
      const core = await startSite({ site: "core", config: tls });
      nodes.push(core);
      const url = core.urls.mqtts as string;
      const edge = await startSite({ site: "edge-1", parents: [{ node: core, url, ca: pki.ca.cert }] });
      nodes.push(edge);
      // A parent whose certificate does not verify is never trusted.
      const rogue = await startSite({ site: "edge-2", parents: [{ node: core, url, ca: pki.otherCa.cert }] });
      nodes.push(rogue);
      await linkUp(edge, "parent:core");
      await write(core, addr("pdu-9"), { state: { desired: { tls: true } } });
      await converged([core, edge], [addr("pdu-9")]);
      await new Promise((r) => setTimeout(r, 300));
      expect(rogue.service.peek(addr("pdu-9")).exists).toBe(false);
      const rogueLink = (
        rogue.extensions.get("relay") as unknown as { links: Map<string, { connected: boolean }> }
      ).links.get("parent:core");
      expect(rogueLink?.connected).toBe(false);
    } finally {
      for (const n of nodes.splice(0).reverse()) await n.stop();
      pki.remove();
    }
  });

  it("carries changes both ways and deletes, converging on identical heads", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    const edge = await startSite({ site: "edge-1", parents: [{ node: core }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    await linkUp(core, "child:edge-1");

    await write(edge, addr("pdu-1"), { state: { reported: { volts: 230 } } });
    await write(core, addr("pdu-2"), { state: { desired: { outlet: "on" } } });
    await write(core, addr("pdu-1", "cfg"), { state: { desired: { mode: "eco" } } });
    const all = [addr("pdu-1"), addr("pdu-2"), addr("pdu-1", "cfg")];
    await converged([core, edge], all);
    expect(core.service.peek(addr("pdu-1")).reported).toEqual({ volts: 230 });
    expect(edge.service.peek(addr("pdu-2")).desired).toEqual({ outlet: "on" });
    expect(edge.service.peek(addr("pdu-1", "cfg")).desired).toEqual({ mode: "eco" });
    // Per-leaf metadata comes from the writing site's change time, not the merge.
    expect(typeof core.service.peek(addr("pdu-1")).meta.reported.volts).toBe("number");

    // get replies say where the shadow is known to be (beyond AWS). The heads are equal as soon as the
    // merge is in memory; the link learns them when the group commit of the merge has finished.
    await eventually(async () => {
      const got = await core.service.get(addr("pdu-1"));
      expect(got.ok && got.body.sync).toEqual({ "child:edge-1": "synced" });
    });

    await remove(core, addr("pdu-2"));
    await eventually(() => expect(edge.service.peek(addr("pdu-2")).exists).toBe(false));
    await write(edge, addr("pdu-2"), { state: { desired: { outlet: "off" } } });
    await converged([core, edge], all);
    expect(core.service.peek(addr("pdu-2"))).toMatchObject({ exists: true, desired: { outlet: "off" } });

    const peers = await fetch(`${core.httpUrl}/peers`, {
      headers: { authorization: `Bearer ${core.identities.createToken("ops", "viewer", "*").token}` },
    });
    expect(peers.status).toBe(200);
    const body = (await peers.json()) as {
      peers: { peer: string; connected: boolean; changesReceived: number }[];
    };
    const child = body.peers.find((p) => p.peer === "child:edge-1");
    expect(child?.connected).toBe(true);
    expect(child?.changesReceived).toBeGreaterThan(0);

    // `umbra peers` prints the same as a table; a device identity may not see it.
    const token = core.identities.createToken("ops2", "operator", "*").token;
    const cli = await runUmbra(["peers", "--url", core.httpUrl, "--token", token]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/child:edge-1\s+edge-1\s+up/);
    // A real scrape over HTTP: what only grows is a `_total` counter, and Debian's promtool accepts it all.
    const scrape = await fetch(`${core.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${core.identities.createToken("prom", "viewer", "*").token}` },
    });
    expect(scrape.status).toBe(200);
    const metrics = await scrape.text();
    expect(metrics).toMatch(/umbra_relay_connected\{peer="child:edge-1"\} 1/);
    for (const name of [
      "sent_bytes",
      "received_bytes",
      "frames_retried",
      "changes_sent",
      "changes_received",
    ]) {
      expect(metrics).toContain(`# TYPE umbra_relay_${name}_total counter`);
    }
    expect(
      parseSamples(metrics).get('umbra_relay_changes_received_total{peer="child:edge-1"}'),
    ).toBeGreaterThan(0);
    const missing = promtoolMissing();
    if (missing === null || process.env.CI) {
      expect(missing).toBeNull();
      const check = promtoolCheck(metrics);
      expect(check.output).toBe("");
      expect(check.code).toBe(0);
    } else process.stderr.write(`SKIP promtool lint: ${missing} (set CI to make this a failure)\n`);
    const denied = await runUmbra(["peers", "--url", core.httpUrl, "--token", "nope"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/401/);
  });
});
