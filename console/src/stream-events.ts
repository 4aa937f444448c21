/** Every event the node's console stream sends (broker/http/console-api.ts, console-follows.ts). */
export const STREAM_EVENTS = [
  "hello",
  "shadow",
  "presence",
  "match",
  "unmatch",
  "job",
  "thing",
  "end",
  "overflow",
] as const;

/** A tab to the shared worker (console/src/stream-worker.ts). */
export type ToWorker = { type: "start" } | { type: "stop" };
/** The shared worker to a tab: an event of the stream as sent, or a break. */
export type FromWorker = { type: "event"; event: string; data: string } | { type: "error"; closed: boolean };
