import type { Command } from "commander";
import { ConfigError } from "../../shared/config.ts";
import { createLogger } from "../../shared/logger.ts";
import { loadConfig } from "../config-load.ts";
import { tuneGarbageCollection } from "../gc-tuning.ts";
import type { RunningNode } from "../node.ts";
import { addSettingFlags, settingsFromFlags } from "./broker-flags.ts";
import { formatStartupSummary, startupFacts } from "./startup-summary.ts";
import { StopSignals } from "./stop-signals.ts";

export function registerBrokerCommand(program: Command): void {
  const command = program
    .command("broker")
    .description("run a fabric node (MQTT broker, shadow service, HTTP API)")
    .option("-c, --config <file>", "config file, YAML or JSON (env UMBRA_CONFIG; docs/umbra.example.yaml)");
  addSettingFlags(command)
    .addHelpText(
      "after",
      "\nEvery option can also be set in the config file or as UMBRA_<NAME> (e.g. UMBRA_TLS_PORT); settings\nwithout a flag are set there (docs/umbra.example.yaml; docs/security.md for all limits).",
    )
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        const file = opts.config;
        const flags = settingsFromFlags(opts);
        config = loadConfig({ file: typeof file === "string" ? file : undefined, env: process.env, flags });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`umbra: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const log = createLogger(config.logLevel);
      const gcFlag = tuneGarbageCollection();
      if (gcFlag) log.debug({ flag: gcFlag }, "garbage collection tuned for this machine");
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
