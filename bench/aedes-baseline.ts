/**
 * The baseline broker: a plain aedes 1.2 on a loopback port with no hooks and the default in-memory
 * persistence, i.e. what the Umbra node costs on top of. Prints `baseline: ready mqtt://…` like
 * `umbra broker` prints its ready line, and exits on SIGTERM/SIGINT.
 */
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { Aedes } from "aedes";

const broker = await Aedes.createBroker({ id: "baseline" });
// Same socket options as the Umbra node's MQTT listener (broker/node.ts), so only the hooks differ.
const server = createServer({ noDelay: true }, broker.handle);
server.listen(Number(process.env.BASELINE_PORT ?? 0), "127.0.0.1");
await once(server, "listening");
process.stdout.write(`baseline: ready mqtt://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

const stop = () => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
