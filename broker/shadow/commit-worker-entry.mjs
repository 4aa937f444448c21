// The entry of the commit worker and of the WAL checkpointer (broker/shadow/commit-thread.ts): worker
// threads do not inherit the main thread's tsx loader, so it is registered here, as broker/cli/umbra.mjs
// does for the node.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData?.role === "checkpointer" ? "./wal-checkpointer.ts" : "./commit-worker.ts");
