import { pino } from "pino";

export type Logger = pino.Logger;

/** Structured JSON logs on stderr; stdout is kept for the lines a user or script reads. */
export function createLogger(level: string, name = "umbra"): Logger {
  return pino({ name, level, redact: ["password", "*.password", "token", "*.token"] }, pino.destination(2));
}
