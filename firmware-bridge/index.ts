/** The firmware bridge's public face: config, profiles, the engine, drivers and `startBridge`. */

export {
  type BridgeOptions,
  bridgeClientId,
  pollOnce,
  prepareDevices,
  type RunningBridge,
  startBridge,
} from "./bridge.ts";
export { type BridgeConfig, BridgeConfigError, loadBridgeConfig, parseBridgeConfig } from "./config.ts";
export { ConvertError, toRaw, toShadow } from "./convert.ts";
export { availableDrivers, driverFactory } from "./drivers/index.ts";
export { BRIDGE_KEY, DeviceRunner } from "./engine.ts";
export { loadProfile, PROFILES_DIR, ProfileError, parseProfile, parseProfileText } from "./profile.ts";
export type { RunnerOptions, ShadowLink } from "./runner-ports.ts";
export * from "./types.ts";
