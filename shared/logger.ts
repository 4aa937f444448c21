import { pino } from "pino";

/**
 * The one logger type of the node, the agent and the bridge (the device SDK, a package of its own, takes
 * any object with pino's four methods and is handed one of these).
 */
export type Logger = pino.Logger;

/** A logger that writes nothing: the default of parts whose caller may not want logs. */
export const silentLogger: Logger = pino({ level: "silent" });

/** Structured JSON logs on stderr; stdout is kept for the lines a user or script reads. */
export function createLogger(level: string, name = "umbra"): Logger {
  return pino({ name, level, redact: ["password", "*.password", "token", "*.token"] }, pino.destination(2));
}
