import type { Logger } from "../../../shared/logger.ts";

/** Queued QoS 1/2 messages kept per offline client (persistent session); more are dropped and counted. */
export const MAX_QUEUED_PER_CLIENT = 10_000;

/**
 * Reports queue overflow without flooding the log: the first dropped message of a client is a warning,
 * then one line per client per minute with the count since the last line. The running total is the
 * persistence's `overflowed` (metric `umbra_mqtt_queue_overflow_messages`).
 */
export function overflowReporter(log: Logger, everyMs = 60_000): (clientId: string, topic: string) => void {
  const pending = new Map<string, { count: number; since: number }>();
  return (clientId, topic) => {
    const now = Date.now();
    const entry = pending.get(clientId);
    if (entry && now - entry.since < everyMs) {
      entry.count++;
      return;
    }
    const dropped = (entry?.count ?? 0) + 1;
    pending.set(clientId, { count: 0, since: now });
    log.warn(
      { client: clientId, topic, dropped, limit: MAX_QUEUED_PER_CLIENT },
      "offline queue full: messages for this client dropped",
    );
  };
}
