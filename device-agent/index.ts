/** The device-agent folder's public face: the device SDK. */

export { type AgentOptions, type RunningAgent, startAgent } from "./agent/agent.ts";
export { type Condition, REASONS, RECONCILED, STATUS_KEY } from "./sdk/conditions.ts";
export { connectDevice, nodeUrlProblem } from "./sdk/connect.ts";
export type { DeviceStats, ShadowDevice } from "./sdk/device.ts";
export { DeviceConnectionError, isTransient, ShadowRejectedError } from "./sdk/errors.ts";
export type { DeltaContext, DeltaHandler, Device, DeviceOptions, HandlerResult } from "./sdk/types.ts";
