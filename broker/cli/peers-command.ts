import type { Command } from "commander";
import type { LinkStats } from "../relay/link.ts";
import { formatPeersTable } from "../relay/peers-table.ts";
import { type NodeClientOpts, nodeCall, withNodeOptions } from "./node-client.ts";

interface PeersOpts extends NodeClientOpts {
  json?: boolean;
}

/** `umbra peers`: the relay links of a node (GET /peers), as a table or JSON. */
export function registerPeersCommand(program: Command): void {
  withNodeOptions(program.command("peers"))
    .description("show this node's relay links: connected, last contact, pending, lag, bytes, retries")
    .option("--json", "print the raw JSON")
    .action(async (opts: PeersOpts) => {
      const body = (await nodeCall(opts, "GET", "/peers", undefined, "umbra peers")) as {
        site?: string;
        peers?: LinkStats[];
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(body, null, 2)}\n`
          : formatPeersTable(body.site ?? "?", body.peers ?? []),
      );
    });
}
