export { type RunningNode, startNode } from "./node.ts";
export { type ShadowChange, type ShadowResult, ShadowService } from "./shadow/shadow-service.ts";
