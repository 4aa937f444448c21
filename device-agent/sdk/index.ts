/**
 * The device SDK alone (no host agent): the entry point of the `umbra-device-sdk` package
 * (packages/device-sdk). `device-agent/index.ts` re-exports it beside the agent.
 */
export type { AttributesReply } from "./attributes.ts";
export { type Condition, REASONS, RECONCILED, STATUS_KEY } from "./conditions.ts";
export { connectDevice, nodeUrlProblem } from "./connect.ts";
export type { DeviceStats, ShadowDevice } from "./device.ts";
export { DeviceConnectionError, isTransient, ShadowRejectedError } from "./errors.ts";
export type { DeltaContext, DeltaHandler, Device, DeviceOptions, HandlerResult } from "./types.ts";
