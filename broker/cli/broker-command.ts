import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../shared/config.ts";
import { createLogger } from "../../shared/logger.ts";
import type { RunningNode } from "../node.ts";
import { formatStartupSummary, startupFacts } from "./startup-summary.ts";
import { StopSignals } from "./stop-signals.ts";

export function registerBrokerCommand(program: Command): void {
  program
    .command("broker")
    .description("run a fabric node (MQTT broker, shadow service, HTTP API)")
    .option("-c, --config <file>", "config file, YAML or JSON (env UMBRA_CONFIG; docs/umbra.example.yaml)")
    .option("--data-dir <dir>", "SQLite store directory (default ./data, env UMBRA_DATA_DIR)")
    .option(
      "--host <addr>",
      "listen address (default 0.0.0.0; 127.0.0.1 with --allow-anonymous; env UMBRA_HOST)",
    )
    .option("--mqtt-port <port>", "MQTT port, 0 = any free port, off = none (default 1883)")
    .option("--http-port <port>", "HTTP API port, 0 = any free port, off = none (default 8080)")
    .option("--site <id>", "site id (default: host name, env UMBRA_SITE)")
    .option(
      "--allow-anonymous",
      "accept clients without credentials: development only (env UMBRA_ALLOW_ANONYMOUS)",
    )
    .option("--tls-port <port>", "MQTT over TLS port (needs --tls-cert and --tls-key)")
    .option("--tls-cert <file>", "PEM certificate chain of the node")
    .option("--tls-key <file>", "PEM private key of the node")
    .option(
      "--tls-ca <file>",
      "PEM CA for client certificates: enables mutual TLS (certificate CN = identity)",
    )
    .option("--tls-require-client-cert", "refuse TLS clients without a valid client certificate")
    .option("--ws-port <port>", "MQTT over WebSocket port (path /mqtt)")
    .option("--wss-port <port>", "MQTT over secure WebSocket port (path /mqtt)")
    .option("--https-port <port>", "HTTP API over TLS port")
    .option("--cache-size <n>", "shadow documents kept in memory (default 20000)")
    .option("--max-state-bytes <n>", "max bytes of desired+reported (default 8192)")
    .option("--max-connections <n>", "open MQTT connections (default 20000)")
    .option("--max-packet-bytes <n>", "largest MQTT packet (default 262144)")
    .option("--request-rate <n>", "shadow requests per second per client before 429 (default 50)")
    .option("--thing-request-rate <n>", "shadow requests per second per thing, all clients (default 100)")
    .option(
      "--identity-request-rate <n>",
      "shadow requests per second per identity, all its connections (default 500)",
    )
    .option("--max-named-shadows <n>", "named shadows per thing; more are refused 413 (default 100)")
    .option(
      "--max-shadows-per-identity <n>",
      "shadows a device or bridge identity may create; more are refused 413 (default 10000)",
    )
    .option(
      "--log-level <level>",
      "fatal|error|warn|info|debug|trace|silent (default warn; env UMBRA_LOG_LEVEL)",
    )
    // Site relay (broker/relay, docs/relay.md).
    .option("--parent <url>", "dial this parent site: mqtt(s)://host:port (env UMBRA_PARENT)")
    .option("--parent-user <name>", "this site's identity on the parent (default: --site)")
    .option(
      "--parent-password <password>",
      "its password (prefer env UMBRA_PARENT_PASSWORD: flags are visible in ps)",
    )
    .option("--parent-ca <file>", "PEM CA of the parent's certificate (mqtts)")
    .option("--parent-things <glob>", "things shared with the parent (default all)")
    .option(
      "--sync-delta-ms <ms>",
      "relay flush interval in ms (default 1000; raise it on metered links: HORAO used 180000)",
    )
    .option("--sync-max <n>", "relay flushes at once past this many pending shadows (default 1000)")
    .option(
      "--link-rate <bytes/s>",
      "byte budget per relay link, bytes/s (default unlimited; e.g. 7600 on a 64 kbit/s link, docs/relay.md)",
    )
    .option(
      "--relay-topic <filter>",
      "plain topic filter forwarded upstream (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    // Shadow change record (broker/history, docs/history.md; off: UMBRA_HISTORY_ENABLED=false).
    .option("--history-reported-days <n>", "keep every change of a shadow this many days (default 2)")
    .option("--history-reported-max <n>", "and at most this many changes per shadow (default 35000)")
    .option(
      "--history-desired-days <n>",
      "keep changes of desired (and deletes) this many days (default 400)",
    )
    .option("--history-desired-max <n>", "and at most this many of them per shadow (default 10000)")
    // Sparkplug B host application (broker/sparkplug, docs/sparkplug.md; off: UMBRA_SPARKPLUG_ENABLED=false).
    .option(
      "--sparkplug-host-id <id>",
      "Sparkplug host id, publishes spBv1.0/STATE/<id> (default umbra-<site>)",
    )
    .addHelpText(
      "after",
      "\nEvery option can also be set in the JSON config file or as UMBRA_<NAME> (e.g. UMBRA_TLS_PORT);\nsee docs/security.md for all limits.",
    )
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        const { config: file, relayTopic, ...flags } = opts as Record<string, unknown>;
        if (relayTopic !== undefined) flags.relayTopics = relayTopic;
        config = loadConfig({ file: typeof file === "string" ? file : undefined, env: process.env, flags });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`umbra: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const log = createLogger(config.logLevel);
      const signals = new StopSignals("node", "hold");
      watchNpmParent((why) => signals.request(why));
      let node: RunningNode;
      try {
        // Loaded here, not at the top: the node pulls in aedes, Fastify, Automerge and SQLite (~0.3 s),
        // which every `umbra shadow …` client call would otherwise pay for.
        const { startNode } = await import("../node.ts");
        node = await startNode(config, log);
      } catch (err) {
        process.stderr.write(`umbra: cannot start: ${(err as Error).message}${startHint(err)}\n`);
        process.exit(1);
      }
      log.info(
        { site: config.site, dataDir: config.dataDir, urls: node.urls, anonymous: config.allowAnonymous },
        "node started",
      );
      // Not a log line: logs are quiet by default (warn), and this is what a person starting a node reads.
      process.stderr.write(formatStartupSummary(startupFacts(node)));
      if (config.allowAnonymous) {
        process.stderr.write(
          "umbra: WARNING: --allow-anonymous: any client can read and write every shadow. For development only.\n",
        );
        if (!isLoopback(config.host)) {
          process.stderr.write(
            `umbra: WARNING: --allow-anonymous on ${config.host}: reachable from other machines, not only this one.\n`,
          );
        }
      }
      if (node.adminFile) {
        process.stderr.write(
          `umbra: created the first operator credential (user admin, MQTT password and HTTP token) in ${node.adminFile}; keep it secret\n`,
        );
      }
      signals.onStop(() => node.close(), log);
      if (signals.requestedReason !== undefined) return;
      // Only now: whoever waits for this line may signal at once, and must get a graceful stop.
      const others = Object.values(node.urls).filter((u) => u !== node.mqttUrl && u !== node.httpUrl);
      process.stdout.write(`umbra: ready ${[node.mqttUrl, node.httpUrl, ...others].join(" ")}\n`);
    });
}

/** What to do about a start that failed, when the cause is a common one. */
function startHint(err: unknown): string {
  const e = err as { code?: string; port?: number };
  if (e.code === "EADDRINUSE") {
    return ` (another process listens on port ${e.port ?? "?"}: a node already running, or a Mosquitto? Stop it, or choose other ports with --mqtt-port / --http-port, 0 for any free port)`;
  }
  if (e.code === "EACCES") return " (ports below 1024 need privileges: choose a port above 1024)";
  return "";
}

/**
 * Under `npm start`, npm does not pass SIGTERM on to the node (its shell dies, the node is re-parented
 * and runs on). When the node was started by an npm script, it stops when its parent goes away.
 */
function watchNpmParent(stop: (why: string) => void): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop("parent npm process exited");
    }
  }, 500);
  timer.unref();
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
