/**
 * Runs the Eclipse Paho MQTT 5 interoperability suite (`interoperability/client_test5.py` of
 * eclipse/paho.mqtt.testing, not shipped with Umbra) against a broker and prints one line per test
 * and the total. Each test runs in its own process with a time limit: `test_flow_control2` publishes
 * Receive Maximum + 1 QoS 2 messages (65,536 against a broker that does not advertise a smaller one)
 * and can run for many minutes.
 *
 *   tsx test/interop/paho5/run-suite.ts --suite /path/to/paho.mqtt.testing/interoperability \
 *     --target umbra|mosquitto|aedes [--limit-s 90] [--only test_basic,test_will_delay]
 *
 * `umbra` is a node with anonymous access (the suite sends no credentials), `mosquitto` is Debian's
 * /usr/sbin/mosquitto with anonymous access, `aedes` is the bare aedes this checkout depends on.
 * The suite connects to `localhost`; every broker listens on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Aedes } from "aedes";
import { freePort, SYSTEM_PYTHON, startMosquitto } from "../../helpers/mosquitto.ts";
import { startTestNode } from "../../helpers/node.ts";

interface Target {
  port: number;
  stop(): Promise<void>;
}

async function startTarget(kind: string): Promise<Target> {
  if (kind === "mosquitto") {
    const m = await startMosquitto();
    return { port: m.port, stop: () => m.stop() };
  }
  if (kind === "aedes") {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
      port,
      stop: async () => {
        server.close();
        await new Promise<void>((resolve) => broker.close(() => resolve()));
      },
    };
  }
  if (kind === "umbra") {
    const node = await startTestNode({ allowAnonymous: true });
    return { port: node.mqttPort, stop: () => node.stop() };
  }
  throw new Error(`unknown target '${kind}' (umbra, mosquitto or aedes)`);
}

type Outcome = "ok" | "FAIL" | "ERROR" | "TIMEOUT";

function runOne(
  suite: string,
  port: number,
  test: string,
  limitMs: number,
): Promise<{ outcome: Outcome; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(SYSTEM_PYTHON, ["-u", "client_test5.py", "-p", String(port), `Test.${test}`], {
      cwd: suite,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const outcome: Outcome =
        signal === "SIGKILL"
          ? "TIMEOUT"
          : code === 0 && /\nOK/.test(out)
            ? "ok"
            : /^ERROR:/m.test(out)
              ? "ERROR"
              : "FAIL";
      resolve({ outcome, out });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      suite: { type: "string" },
      target: { type: "string", default: "umbra" },
      "limit-s": { type: "string", default: "90" },
      only: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  if (!values.suite) throw new Error("--suite DIR (paho.mqtt.testing/interoperability) is required");
  const source = readFileSync(join(values.suite, "client_test5.py"), "utf8");
  const all = [...source.matchAll(/^ {4}def (test_\w+)\(self\)/gm)].map((m) => m[1] as string);
  const tests = values.only ? all.filter((t) => values.only?.split(",").includes(t)) : all;
  const limitMs = Number(values["limit-s"]) * 1000;
  let passed = 0;
  for (const test of tests) {
    // A fresh broker per test: a failed test's leftovers (sessions, retained messages) do not decide the next.
    const target = await startTarget(values.target ?? "umbra");
    try {
      const { outcome, out } = await runOne(values.suite, target.port, test, limitMs);
      if (outcome === "ok") passed++;
      process.stdout.write(`${outcome.padEnd(8)} ${test}\n`);
      if (values.verbose && outcome !== "ok") process.stdout.write(`${out.slice(-3000)}\n`);
    } finally {
      await target.stop();
    }
  }
  process.stdout.write(`paho MQTT 5 suite on ${values.target}: ${passed}/${tests.length} passed\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
