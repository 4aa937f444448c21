/** Sparkplug B host application: the node capability and its parts (docs/sparkplug.md). */
export { sparkplugExtension } from "./extension.ts";
export { SparkplugHost, type SparkplugHostOptions, type SparkplugHostStats } from "./host.ts";
