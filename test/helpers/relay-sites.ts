import { expect } from "vitest";
import { sameHeads } from "../../broker/shadow/shadow-doc.ts";
import type { NodeConfig } from "../../shared/config.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import { startTestNode, type TestNode } from "./node.ts";

/** A relay site in this process: a secure node whose relay flushes quickly. */
export interface SiteSpec {
  site: string;
  /** Parents to dial: the node, the grant its site identity gets there, and what we share with it. */
  parents?: {
    node: TestNode;
    things?: string;
    grant?: string;
    url?: string;
    ca?: string;
    reconnectMs?: number;
  }[];
  dataDir?: string;
  config?: Partial<NodeConfig>;
}

export const FAST_RELAY: Partial<NodeConfig> = {
  syncDeltaMs: 20,
  syncMax: 100,
  relayAckTimeoutMs: 2000,
};

/** Starts a site; for each parent, creates (or reuses) this site's identity there. */
export async function startSite(spec: SiteSpec): Promise<TestNode> {
  const parents = (spec.parents ?? []).map((p) => {
    const existing = p.node.identities.lookup(spec.site);
    if (existing) p.node.identities.revoke(spec.site);
    const password = p.node.identities.add(spec.site, "site", p.grant ?? "*");
    return {
      name: p.node.config.site,
      url: p.url ?? p.node.mqttUrl,
      user: spec.site,
      password,
      ...(p.things ? { things: p.things } : {}),
      ...(p.ca ? { ca: p.ca } : {}),
      ...(p.reconnectMs ? { reconnectMs: p.reconnectMs } : {}),
    };
  });
  return startTestNode({
    allowAnonymous: false,
    site: spec.site,
    ...FAST_RELAY,
    ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
    parents,
    ...spec.config,
  });
}

export const addr = (thing: string, shadow = ""): ShadowAddress => ({ thing, shadow });

/** Writes through the shadow service (anonymous principal in-process: may write both sections). */
export async function write(node: TestNode, a: ShadowAddress, body: Record<string, unknown>): Promise<void> {
  const r = await node.service.update(a, JSON.stringify(body));
  if (!r.ok) throw new Error(`update failed: ${JSON.stringify(r.error)}`);
}

export async function remove(node: TestNode, a: ShadowAddress): Promise<void> {
  const r = await node.service.delete(a);
  if (!r.ok && r.error.code !== 404) throw new Error(`delete failed: ${JSON.stringify(r.error)}`);
}

export function headsOf(node: TestNode, a: ShadowAddress): string[] {
  return node.store.open(a).doc.heads();
}

/** Polls until `check` passes (bounded); rethrows its last failure. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Every node holds the same heads for every listed shadow. */
export async function converged(
  nodes: TestNode[],
  shadows: ShadowAddress[],
  timeoutMs = 8000,
): Promise<void> {
  await eventually(() => {
    for (const a of shadows) {
      const first = headsOf(nodes[0] as TestNode, a);
      for (const n of nodes.slice(1)) {
        expect(sameHeads(headsOf(n, a), first), `${n.config.site} ${a.thing}/${a.shadow}`).toBe(true);
      }
    }
  }, timeoutMs);
}

/** Waits until the link to `peer` (e.g. "parent:core" or "child:edge-1") is up. */
export async function linkUp(node: TestNode, peer: string, timeoutMs = 8000): Promise<void> {
  await eventually(() => {
    const relay = node.extensions.get("relay") as unknown as { links: Map<string, { connected: boolean }> };
    expect(relay.links.get(peer)?.connected, `${node.config.site} → ${peer}`).toBe(true);
  }, timeoutMs);
}
