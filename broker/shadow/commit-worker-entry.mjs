// The commit worker's entry (broker/shadow/commit-thread.ts): worker threads do not inherit the main
// thread's tsx loader, so it is registered here, as broker/cli/umbra.mjs does for the node.
import { register } from "tsx/esm/api";

register();
await import("./commit-worker.ts");
