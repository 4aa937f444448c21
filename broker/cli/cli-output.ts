/** What every `umbra` client command prints: results on stdout, usage mistakes on stderr with exit 2. */

/** A string as it is, anything else as indented JSON; one trailing newline. */
export function printResult(v: unknown): void {
  const text = typeof v === "string" ? v : JSON.stringify(v, null, 2);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** `umbra <command>: <message>` on stderr, exit code 2 (a usage error). */
export function exitUsage(command: string, message: string): never {
  process.stderr.write(`umbra ${command}: ${message}\n`);
  process.exit(2);
}
