import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { isJsonObject, type JsonObject } from "../../shared/json.ts";
import { createLogger } from "../../shared/logger.ts";
import { exitUsage } from "./cli-output.ts";
import { StopSignals } from "./stop-signals.ts";

interface AgentFlags {
  url?: string;
  thing?: string;
  username?: string;
  password?: string;
  config?: string;
  dryRun?: boolean;
  once?: boolean;
  desired?: string;
  interval?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  queue?: string;
  logLevel?: string;
}

function usage(message: string): never {
  return exitUsage("agent", message);
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    usage(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `--desired '{"motd":"hi"}'` or `--desired @file.json`: the desired state an offline dry run plans for. */
function desiredArg(text: string): JsonObject {
  const raw = text.startsWith("@") ? readFile(text.slice(1), "desired state file") : text;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (isJsonObject(parsed)) return parsed;
  } catch {}
  usage("--desired must be a JSON object (or @file with one)");
}

function tlsFilesGiven(flags: AgentFlags, config: { tls?: { cert?: string } }): boolean {
  return (flags.tlsCert ?? config.tls?.cert) !== undefined;
}

/**
 * `umbra agent`: the host agent. Modules are loaded inside the action so that other `umbra` commands do
 * not pay for the SDK and the agent.
 */
export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description(
      "run the host agent: report this host's facts and telemetry, apply desired state via handlers",
    )
    .option("--url <url>", "node URL: mqtt://, mqtts://, ws:// or wss:// (or `url` in the config)")
    .option("--thing <name>", "thing name of this host (or `thing` in the config)")
    .option("--username <name>", "MQTT user name (default: the thing name)")
    .option(
      "--password <password>",
      "MQTT password; prefer env UMBRA_AGENT_PASSWORD (flags are visible to `ps`)",
    )
    .option("-c, --config <file>", "agent config (YAML): handlers, intervals, connection (docs/agent.md)")
    .option("--dry-run", "print what each delta would do, change nothing (neither host nor shadow)")
    .option("--once", "with --dry-run: print the plan for the current state and exit")
    .option("--desired <json>", "with --dry-run and no --url: plan for this desired state (JSON or @file)")
    .option("--interval <duration>", "telemetry interval, e.g. 10s (default 10s)")
    .option("--tls-ca <file>", "PEM CA that signed the node's certificate")
    .option("--tls-cert <file>", "PEM client certificate (mutual TLS)")
    .option("--tls-key <file>", "PEM key of the client certificate")
    .option("--queue <file>", "SQLite file for reports made while offline (default: in memory)")
    .option("--log-level <level>", "fatal|error|warn|info|debug|silent (default info)")
    .action(async (flags: AgentFlags) => {
      const signals = new StopSignals("agent", "exit");
      const agentPkg = await import("../../device-agent/index.ts");
      const { AgentConfigError, defaultAgentConfig, loadAgentConfig } = agentPkg;
      const { parseDuration } = await import("../../shared/config-check.ts");
      let config: ReturnType<typeof defaultAgentConfig>;
      try {
        config = flags.config ? loadAgentConfig(flags.config) : defaultAgentConfig();
        if (flags.interval !== undefined) {
          if (flags.interval === "off") config.telemetry.enabled = false;
          else config.telemetry.intervalMs = Math.max(100, parseDuration(flags.interval, "--interval"));
        }
      } catch (err) {
        if (err instanceof AgentConfigError) usage(err.message);
        throw err;
      }
      const url = flags.url ?? config.url;
      const thing = flags.thing ?? config.thing;

      if (flags.desired !== undefined) {
        if (!flags.dryRun || flags.url !== undefined)
          usage("--desired is for an offline dry run: use it with --dry-run and without --url");
        const { planDelta, describePlan } = agentPkg;
        const desired = desiredArg(flags.desired);
        const plan = planDelta(config.handlers, desired, { desired, reported: {} }, thing ?? "thing");
        for (const line of describePlan(plan)) process.stdout.write(`${line}\n`);
        return;
      }
      if (!url) usage("--url is required (or `url` in the config)");
      if (!thing) usage("--thing is required (or `thing` in the config)");
      const password =
        flags.password ??
        process.env.UMBRA_AGENT_PASSWORD ??
        (config.passwordFile ? readFile(config.passwordFile, "password file").split("\n")[0] : undefined);
      const { nodeUrlProblem } = agentPkg;
      const urlProblem = nodeUrlProblem(url);
      if (urlProblem) usage(urlProblem);
      if (password === undefined && !tlsFilesGiven(flags, config)) {
        usage(
          `no password for '${flags.username ?? config.username ?? thing}': set UMBRA_AGENT_PASSWORD, passwordFile in the config, or a client certificate (--tls-cert/--tls-key)`,
        );
      }
      if (flags.password !== undefined) {
        process.stderr.write(
          "umbra agent: note: --password is visible to other users; prefer UMBRA_AGENT_PASSWORD\n",
        );
      }
      const tlsFiles = {
        ca: flags.tlsCa ?? config.tls?.ca,
        cert: flags.tlsCert ?? config.tls?.cert,
        key: flags.tlsKey ?? config.tls?.key,
      };
      const tls: NonNullable<import("../../device-agent/index.ts").DeviceOptions["tls"]> = {};
      if (tlsFiles.ca) tls.ca = readFile(tlsFiles.ca, "CA file");
      if (tlsFiles.cert) tls.cert = readFile(tlsFiles.cert, "certificate file");
      if (tlsFiles.key) tls.key = readFile(tlsFiles.key, "key file");
      if (config.tls?.rejectUnauthorized !== undefined)
        tls.rejectUnauthorized = config.tls.rejectUnauthorized;

      const log = createLogger(flags.logLevel ?? process.env.UMBRA_LOG_LEVEL ?? "info", "umbra-agent");
      const { startAgent, DeviceConnectionError, ShadowRejectedError } = agentPkg;
      const queuePath = flags.queue ?? config.queuePath;
      let agent: Awaited<ReturnType<typeof startAgent>>;
      // An unreachable node is retried with backoff until it answers: say what the agent is waiting for.
      log.info({ url, thing, dryRun: flags.dryRun === true }, "connecting (retried until the node answers)");
      try {
        agent = await startAgent({
          device: {
            url,
            thing,
            username: flags.username ?? config.username ?? thing,
            password,
            ...(Object.keys(tls).length > 0 ? { tls } : {}),
            ...(config.shadowName ? { shadowName: config.shadowName } : {}),
            ...(queuePath && !flags.dryRun ? { queuePath } : {}),
            log,
          },
          config,
          dryRun: flags.dryRun === true,
          once: flags.once === true,
          log,
          out: (line) => process.stdout.write(`${line}\n`),
        });
      } catch (err) {
        if (err instanceof DeviceConnectionError && err.reason === "refused") {
          // CONNACK 2: the client id (the thing name) is held by another identity's live connection.
          const hint = err.returnCode === 2 ? ` (client id '${thing}' is in use by another identity)` : "";
          process.stderr.write(
            `umbra agent: the node refused the connection as '${flags.username ?? config.username ?? thing}': ${err.message}${hint}\n`,
          );
          process.exit(1);
        }
        if (err instanceof ShadowRejectedError) {
          process.stderr.write(`umbra agent: the node refused the shadow of '${thing}': ${err.message}\n`);
          process.exit(1);
        }
        throw err;
      }
      signals.onStop(() => agent.stop(), log);
      if (flags.dryRun && flags.once) {
        await agent.done;
        await agent.stop();
        process.exit(0);
      }
      process.stdout.write(`umbra agent: ready ${thing} ${url}${flags.dryRun ? " (dry run)" : ""}\n`);
    });
}
