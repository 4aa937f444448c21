/** The device-agent folder's public face: the device SDK and the host agent built on it. */

export { type AgentOptions, type RunningAgent, startAgent } from "./agent/agent.ts";
export { type AgentConfig, AgentConfigError, defaultAgentConfig, loadAgentConfig } from "./agent/config.ts";
export { describePlan } from "./agent/dry-run.ts";
export { planDelta } from "./agent/plan.ts";
export * from "./sdk/index.ts";
