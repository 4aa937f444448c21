export { type RunningNode, startNode } from "./node.ts";
export { ShadowService, type ShadowChange, type ShadowResult } from "./shadow/shadow-service.ts";
