import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { checkPeers, type PeerCheck, SYSTEM_PYTHON } from "./mosquitto.ts";
import { REPO_ROOT } from "./node.ts";

/** The PDU simulator (test/helpers/pymodbus-server.py) on Debian's python3-pymodbus. */
export const PYMODBUS_SERVER = join(REPO_ROOT, "test/helpers/pymodbus-server.py");

export function checkPymodbus(): PeerCheck {
  return checkPeers(
    [SYSTEM_PYTHON],
    [
      () => {
        try {
          execFileSync(SYSTEM_PYTHON, ["-c", "import pymodbus.datastore"], {
            timeout: 10_000,
            stdio: "pipe",
          });
          return null;
        } catch (err) {
          return `pymodbus not importable by ${SYSTEM_PYTHON} (apt install python3-pymodbus): ${(err as Error).message.split("\n")[0]}`;
        }
      },
    ],
  );
}

export interface PymodbusServer {
  port: number;
  child: ChildProcess;
  /** SIGKILL (a crashed or powered-off device), resolves once the process is gone. */
  kill(): Promise<void>;
  stderr(): string;
}

/** Starts the simulator serving `units` on `port` (0: any free port) and waits for its `PORT n` line. */
export function startPymodbus(units: number[], port = 0, timeoutMs = 10_000): Promise<PymodbusServer> {
  const child = spawn(
    SYSTEM_PYTHON,
    [PYMODBUS_SERVER, "--host", "127.0.0.1", "--port", String(port), "--units", units.join(",")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pymodbus server did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        child,
        stderr: () => err,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus server exited (${code}) before listening: ${err}`));
    });
  });
}
