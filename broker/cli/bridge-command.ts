import type { Command } from "commander";
import { createLogger } from "../../shared/logger.ts";
import { StopSignals } from "./stop-signals.ts";

interface BridgeFlags {
  config: string;
  check?: boolean;
  once?: boolean;
  logLevel?: string;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`umbra bridge: ${message}\n`);
  process.exit(code);
}

/**
 * `umbra bridge`: the firmware bridge (docs/bridge.md). Modules load inside the action so other
 * commands do not pay for the drivers.
 */
export function registerBridgeCommand(program: Command): void {
  program
    .command("bridge")
    .description(
      "run the firmware bridge: Modbus/SNMP/Redfish/IPMI devices as shadow things (docs/bridge.md)",
    )
    .requiredOption(
      "-c, --config <file>",
      "bridge config (YAML): node, credentials, devices and their profiles",
    )
    .option("--check", "validate the config and every profile, print the devices, connect to nothing")
    .option("--once", "poll every device once and print what it would report (JSON per line); no node needed")
    .option("--log-level <level>", "fatal|error|warn|info|debug|silent (default info)")
    .addHelpText(
      "after",
      "\nThe node password comes from node.passwordFile or the env variable UMBRA_BRIDGE_PASSWORD\n" +
        "(node.passwordEnv names another); the identity needs the bridge role:\n" +
        "  umbra user add pdu-bridge --role bridge --things 'pdu-*'\n" +
        "Shipped profiles (or a path to your own .yaml/.json): generic-modbus-pdu, apc-ups-modbus,\n" +
        "apc-pdu-snmp, switch-if-mib, redfish-server, ipmi-chassis. Exit codes: 2 bad config, 1 cannot start.",
    )
    .action(async (flags: BridgeFlags) => {
      const signals = new StopSignals("bridge", "exit");
      const bridge = await import("../../firmware-bridge/index.ts");
      let config: Awaited<ReturnType<typeof bridge.loadBridgeConfig>>;
      let prepared: ReturnType<typeof bridge.prepareDevices>;
      try {
        config = bridge.loadBridgeConfig(flags.config);
        prepared = bridge.prepareDevices(config);
      } catch (err) {
        fail((err as Error).message);
      }
      if (flags.check) {
        for (const { device, profile } of prepared) {
          const s = device.spec;
          process.stdout.write(
            `${s.thing}\t${s.driver}\t${s.address}\t${profile.name} (${profile.points.length} points)\tpoll ${s.pollMs} ms\n`,
          );
        }
        process.stdout.write(`umbra bridge: ${devices(prepared.length)}, config ok\n`);
        return;
      }
      if (flags.once) {
        const results = await bridge.pollOnce(config);
        for (const [thing, reported] of results)
          process.stdout.write(`${JSON.stringify({ thing, reported })}\n`);
        return;
      }
      const { nodeUrlProblem } = await import("../../device-agent/index.ts");
      const urlProblem = nodeUrlProblem(config.node.url);
      if (urlProblem) fail(`${urlProblem} (node.url in ${flags.config})`);
      if (config.node.password === undefined && !config.node.tls?.cert)
        fail(
          `no password for '${config.node.username}': set UMBRA_BRIDGE_PASSWORD (or the variable node.passwordEnv names) or node.passwordFile in ${flags.config}`,
        );
      const log = createLogger(flags.logLevel ?? process.env.UMBRA_LOG_LEVEL ?? "info", "umbra-bridge");
      log.info(
        { url: config.node.url, devices: prepared.length },
        "connecting (retried until the node answers)",
      );
      let running: Awaited<ReturnType<typeof bridge.startBridge>>;
      try {
        running = await bridge.startBridge(config, { log });
      } catch (err) {
        const cause = (err as Error).cause as { reason?: string; code?: number } | undefined;
        const hint =
          cause?.reason === "refused"
            ? ` (check the user name and password of '${config.node.username}')`
            : cause?.code === 403
              ? ` (the identity '${config.node.username}' needs the bridge role with a --things pattern that covers this thing)`
              : "";
        fail(`${(err as Error).message}${hint}`, 1);
      }
      signals.onStop(() => running.close(), log);
      process.stdout.write(`umbra bridge: ready ${devices(running.runners.size)} ${config.node.url}\n`);
    });
}

/** "1 device", "3 devices". */
function devices(n: number): string {
  return `${n} device${n === 1 ? "" : "s"}`;
}
