import type { Command } from "commander";
import type { LinkStats } from "../relay/link.ts";
import { formatPeersTable } from "../relay/peers-table.ts";
import { apiToken } from "./api-token.ts";

interface PeersOpts {
  url: string;
  token?: string;
  json?: boolean;
}

/** `umbra peers`: the relay links of a node (GET /peers), as a table or JSON. */
export function registerPeersCommand(program: Command): void {
  program
    .command("peers")
    .description("show this node's relay links: connected, last contact, pending, lag, bytes, retries")
    .option("--url <url>", "node HTTP API", process.env.UMBRA_URL ?? "http://127.0.0.1:8080")
    .option("--token <token>", "bearer token (default: UMBRA_TOKEN, then ./data/admin.json)")
    .option("--json", "print the raw JSON")
    .action(async (opts: PeersOpts) => {
      let url: URL;
      try {
        url = new URL("/peers", opts.url);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
      } catch {
        process.stderr.write(
          `umbra: invalid node URL '${opts.url}' (--url or UMBRA_URL); expected e.g. http://127.0.0.1:8080\n`,
        );
        process.exit(2);
      }
      const token = apiToken(opts.token);
      let res: Response;
      try {
        res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (err as Error).message;
        process.stderr.write(
          `umbra: cannot reach ${url.origin}: ${reason} (is the node running? --url or UMBRA_URL)\n`,
        );
        process.exit(1);
      }
      const body = (await res.json().catch(() => ({}))) as {
        site?: string;
        peers?: LinkStats[];
        message?: string;
      };
      if (!res.ok) {
        const hint = res.status === 401 ? " (pass --token or set UMBRA_TOKEN)" : "";
        process.stderr.write(
          `umbra: ${url.origin} answered ${res.status}: ${body.message ?? res.statusText}${hint}\n`,
        );
        process.exit(1);
      }
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(body, null, 2)}\n`
          : formatPeersTable(body.site ?? "?", body.peers ?? []),
      );
    });
}
