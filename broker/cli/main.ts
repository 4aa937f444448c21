import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.ts";
import { registerBrokerCommand } from "./broker-command.ts";
import { registerIdentityCommands } from "./identity-commands.ts";
import { registerShadowCommands } from "./shadow-command.ts";

const program = new Command("umbra")
  .description("Umbra device fabric: MQTT shadows on Automerge and SQLite")
  .version("0.1.0")
  .showHelpAfterError();

registerBrokerCommand(program);
registerShadowCommands(program);
registerIdentityCommands(program);
registerAgentCommand(program);

await program.parseAsync(process.argv);
