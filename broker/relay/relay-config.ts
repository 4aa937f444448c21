import { readFileSync } from "node:fs";
import { ConfigError, type NodeConfig } from "../../shared/config.ts";
import { RELAY_DEFAULTS } from "../../shared/settings.ts";
import type { LinkOptions } from "./link.ts";
import type { OutboxPolicy } from "./outbox.ts";

/** One parent this node dials. */
export interface ParentConfig {
  /** Name of the link in `umbra peers` and in the sync state (default: host:port of the URL). */
  name: string;
  url: string;
  /** This node's site identity on the parent (`umbra user add <user> --role site`). */
  user: string;
  password: string;
  /** Things this node shares with that parent (glob or comma list; default all). */
  things: string;
  /** PEM file of the CA that signs the parent's certificate (mqtts). */
  ca?: string;
  /** Wait between redials while the parent is unreachable (ms, default 1000). */
  reconnectMs: number;
}

export const DEFAULT_RECONNECT_MS = 1000;

/**
 * Flush after 1 s (HORAO's SYNC_DELTA is 180 s: an operator's desired change would wait up to three
 * minutes to reach the edge). Changes of that second still go in one compressed frame; on a metered
 * link raise it (docs/relay.md). SYNC_MAX stays HORAO's 1000.
 */
export const DEFAULT_SYNC_DELTA_MS = RELAY_DEFAULTS.syncDeltaMs;
export const DEFAULT_SYNC_MAX = RELAY_DEFAULTS.syncMax;
export const DEFAULT_ACK_TIMEOUT_MS = RELAY_DEFAULTS.relayAckTimeoutMs;

export function linkOptions(config: NodeConfig): LinkOptions {
  const rate = config.linkRate;
  return {
    syncDeltaMs: config.syncDeltaMs ?? DEFAULT_SYNC_DELTA_MS,
    syncMax: config.syncMax ?? DEFAULT_SYNC_MAX,
    linkRate: rate,
    ackTimeoutMs: config.relayAckTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    // Raw change bytes per frame. Compact and compressed, small updates shrink ~8× (≈150 B raw, ≈12-20 B
    // on the wire), so 8 × rate is about a second of the link per frame on slow links: big enough to
    // compress well (frames of ~12 shadows cost 1.5× more per update than frames of 100), small enough
    // that shadows never wait long behind one.
    maxFrameBytes: rate ? Math.max(1024, Math.min(48 * 1024, 8 * rate)) : 48 * 1024,
    window: 8,
  };
}

/** The outbox's byte bound and full policy (`relayOutboxBytes`, `relayOutboxPolicy`; see outbox.ts). */
export function outboxOptions(config: NodeConfig): { maxBytes?: number; policy?: OutboxPolicy } {
  const policy = config.relayOutboxPolicy;
  if (policy !== undefined && policy !== "refuse-new" && policy !== "drop-oldest")
    throw new ConfigError(
      `relayOutboxPolicy: '${policy}' is not a policy; use refuse-new (keep the backlog, refuse what does not fit) or drop-oldest`,
    );
  if (config.relayOutboxBytes !== undefined && config.relayOutboxBytes < 1024)
    throw new ConfigError(
      `relayOutboxBytes: ${config.relayOutboxBytes} is too small; give at least 1024 bytes`,
    );
  return {
    ...(config.relayOutboxBytes !== undefined ? { maxBytes: config.relayOutboxBytes } : {}),
    ...(policy !== undefined ? { policy } : {}),
  };
}

function str(o: Record<string, unknown>, key: string, where: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v === "")
    throw new ConfigError(`${where}: '${key}' must be a non-empty string`);
  return v;
}

function parent(o: Record<string, unknown>, where: string): ParentConfig {
  const url = str(o, "url", where, true) as string;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${where}: url '${url}' is not a URL (use mqtt://host:1883 or mqtts://host:8883)`);
  }
  if (!["mqtt:", "mqtts:", "ws:", "wss:"].includes(parsed.protocol)) {
    throw new ConfigError(`${where}: url '${url}' must be mqtt://, mqtts://, ws:// or wss://`);
  }
  const user = str(o, "user", where, true) as string;
  const file = str(o, "passwordFile", where);
  let password = str(o, "password", where);
  if (password === undefined && file !== undefined) {
    try {
      password = readFileSync(file, "utf8").trim();
    } catch (err) {
      throw new ConfigError(`${where}: cannot read passwordFile ${file}: ${(err as Error).message}`);
    }
  }
  if (password === undefined) {
    throw new ConfigError(`${where}: needs 'password' or 'passwordFile' (or env UMBRA_PARENT_PASSWORD)`);
  }
  return {
    name: str(o, "name", where) ?? parsed.host,
    url,
    user,
    password,
    things: str(o, "things", where) ?? "*",
    ca: str(o, "ca", where),
    reconnectMs: reconnectOf(o, where),
  };
}

function reconnectOf(o: Record<string, unknown>, where: string): number {
  const v = o.reconnectMs;
  if (v === undefined) return DEFAULT_RECONNECT_MS;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 10 || v > 3_600_000)
    throw new ConfigError(
      `${where}: 'reconnectMs' must be an integer from 10 to 3600000 (ms between redials)`,
    );
  return v;
}

/** The parents of this node: `--parent` (with --parent-user/--parent-password) and `parents` in the file. */
export function parentsOf(config: NodeConfig): ParentConfig[] {
  const out: ParentConfig[] = [];
  if (config.parent !== undefined) {
    out.push(
      parent(
        {
          url: config.parent,
          user: config.parentUser ?? config.site,
          password: config.parentPassword,
          things: config.parentThings,
          ca: config.parentCa,
        },
        "--parent",
      ),
    );
  }
  (config.parents ?? []).forEach((p, i) => {
    out.push(parent(p, `parents[${i}]`));
  });
  const names = new Set<string>();
  for (const p of out) {
    if (names.has(p.name))
      throw new ConfigError(`two parents are named '${p.name}': give each a distinct 'name'`);
    names.add(p.name);
  }
  return out;
}
