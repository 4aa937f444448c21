import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ADMIN_FILE } from "../auth/bootstrap.ts";
import type { RunningNode } from "../node.ts";

/** What the operator of a freshly started node wants to see at a glance (all of it safe to print). */
export interface StartupFacts {
  site: string;
  dataDir: string;
  /** Listener kind → URL (mqtt, mqtts, ws, wss, http, https). */
  urls: Record<string, string>;
  anonymous: boolean;
  /** Client certificates: off, optional (`--tls-ca`) or required. */
  mutualTls: "off" | "optional" | "required";
  identities: number;
  tokens: number;
  capabilities: string[];
  logLevel: string;
  /** The first operator credential's file, while it exists (it is written once, on the first start). */
  adminFile?: string;
  /** Parent sites this node dials (URLs without credentials). */
  parents?: string[];
}

const LISTENER_ORDER = ["mqtt", "mqtts", "ws", "wss", "http", "https"];

/**
 * A short human summary for stderr: the structured logs are quiet by default (warn), so without this a
 * node that started fine would say nothing but its `umbra: ready` line. Never prints a secret.
 */
export function formatStartupSummary(f: StartupFacts): string {
  const kinds = Object.keys(f.urls).sort((a, b) => LISTENER_ORDER.indexOf(a) - LISTENER_ORDER.indexOf(b));
  const auth = f.anonymous
    ? "ANONYMOUS (--allow-anonymous): no credentials checked"
    : `credentials required; ${plural(f.identities, "identity", "identities")}, ${plural(f.tokens, "HTTP token", "HTTP tokens")}`;
  const rows: [string, string][] = [
    ["site", f.site],
    ["data dir", f.dataDir],
    ...kinds.map((k): [string, string] => [k, f.urls[k] ?? ""]),
    ["auth", f.mutualTls === "off" ? auth : `${auth}; client certificates ${f.mutualTls}`],
    ...(f.parents?.length ? [["parents", f.parents.join(", ")] as [string, string]] : []),
    ...(f.adminFile
      ? [["admin", `${f.adminFile} (user admin: MQTT password and HTTP token)`] as [string, string]]
      : []),
    ["capabilities", f.capabilities.length > 0 ? f.capabilities.join(", ") : "none"],
    ["logs", `level ${f.logLevel} (JSON on stderr; --log-level info or debug for more)`],
  ];
  return `umbra: node started\n${rows.map(([k, v]) => `  ${k.padEnd(13)}${v}`).join("\n")}\n`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Gathers the facts from a running node (identity and token counts are of active ones only). */
export function startupFacts(node: RunningNode): StartupFacts {
  const c = node.config;
  const adminFile = resolve(c.dataDir, ADMIN_FILE);
  return {
    ...(!c.allowAnonymous && existsSync(adminFile) ? { adminFile } : {}),
    ...(parentsOf(c).length > 0 ? { parents: parentsOf(c) } : {}),
    site: c.site,
    dataDir: resolve(c.dataDir),
    urls: node.urls,
    anonymous: c.allowAnonymous,
    mutualTls: !c.tlsCa ? "off" : c.tlsRequireClientCert ? "required" : "optional",
    identities: node.identities.list((r) => r.revokedAt === null).length,
    tokens: node.identities.listTokens().filter((t) => t.revokedAt === null).length,
    capabilities: [...node.extensions.keys()],
    logLevel: c.logLevel,
  };
}

/** The parent URLs of the relay settings (one by flags, several in the config file), credentials cut off. */
function parentsOf(c: RunningNode["config"]): string[] {
  const urls = [c.parent, ...(c.parents ?? []).map((p) => p.url)].filter(
    (u): u is string => typeof u === "string",
  );
  return urls.map((u) => u.replace(/\/\/[^@/]*@/, "//"));
}
