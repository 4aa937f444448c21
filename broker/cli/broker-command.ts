import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../shared/config.ts";
import { createLogger } from "../../shared/logger.ts";
import type { RunningNode } from "../node.ts";

export function registerBrokerCommand(program: Command): void {
  program
    .command("broker")
    .description("run a fabric node (MQTT broker, shadow service, HTTP API)")
    .option("-c, --config <file>", "JSON config file (env UMBRA_CONFIG)")
    .option("--data-dir <dir>", "SQLite store directory (default ./data, env UMBRA_DATA_DIR)")
    .option("--host <addr>", "listen address (default 127.0.0.1, env UMBRA_HOST)")
    .option("--mqtt-port <port>", "MQTT port, 0 = any free port (default 1883, env UMBRA_MQTT_PORT)")
    .option("--http-port <port>", "HTTP API port, 0 = any free port (default 8080, env UMBRA_HTTP_PORT)")
    .option("--site <id>", "site id (default: host name, env UMBRA_SITE)")
    .option("--cache-size <n>", "shadow documents kept in memory (default 10000, env UMBRA_CACHE_SIZE)")
    .option("--max-state-bytes <n>", "max bytes of desired+reported (default 8192)")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent (default info)")
    .action(async (opts: Record<string, string | undefined>) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        const { config: file, ...flags } = opts;
        config = loadConfig({ file, env: process.env, flags });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`umbra: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const log = createLogger(config.logLevel);
      let node: RunningNode;
      try {
        // Loaded here, not at the top: the node pulls in aedes, Fastify, Automerge and SQLite (~0.3 s),
        // which every `umbra shadow …` client call would otherwise pay for.
        const { startNode } = await import("../node.ts");
        node = await startNode(config, log);
      } catch (err) {
        process.stderr.write(`umbra: cannot start: ${(err as Error).message}\n`);
        process.exit(1);
      }
      log.info(
        { site: config.site, dataDir: config.dataDir, cacheSize: config.cacheSize, limits: config.limits },
        "node started",
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, "shutting down");
        node.close().then(
          () => process.exit(0),
          (err) => {
            log.error({ err }, "unclean shutdown");
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
      // Only now: whoever waits for this line may signal at once, and must get a graceful stop.
      process.stdout.write(`umbra: ready ${node.mqttUrl} ${node.httpUrl}\n`);
    });
}
