/** The device-agent folder's public face: the device SDK and the host agent built on it. */

export { type AgentOptions, type RunningAgent, startAgent } from "./agent/agent.ts";
export * from "./sdk/index.ts";
