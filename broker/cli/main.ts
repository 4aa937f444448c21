import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.ts";
import { registerAlarmCommands } from "./alarms-commands.ts";
import { registerBridgeCommand } from "./bridge-command.ts";
import { registerBrokerCommand } from "./broker-command.ts";
import { registerClaimCommands } from "./claim-commands.ts";
import { registerFleetCommands } from "./fleet-commands.ts";
import { registerIdentityCommands } from "./identity-commands.ts";
import { registerJobCommands } from "./job-commands.ts";
import { registerPeersCommand } from "./peers-command.ts";
import { registerShadowCommands } from "./shadow-command.ts";
import { registerTelemetryCommand } from "./telemetry-command.ts";

const program = new Command("umbra")
  .description("Umbra device fabric: MQTT shadows on Automerge and SQLite")
  .version("0.1.0")
  .showHelpAfterError();

registerBrokerCommand(program);
registerShadowCommands(program);
registerIdentityCommands(program);
registerPeersCommand(program);
registerAgentCommand(program);
registerBridgeCommand(program);
registerTelemetryCommand(program);
registerFleetCommands(program);
registerAlarmCommands(program);
registerJobCommands(program);
registerClaimCommands(program);

await program.parseAsync(process.argv);
