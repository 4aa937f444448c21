import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT, UMBRA_BIN } from "./node.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `umbra <args>` to completion (killed after timeoutMs), optionally feeding stdin. */
export function runUmbra(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [UMBRA_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(opts.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `umbra ${args.join(" ")} did not exit within ${opts.timeoutMs ?? 15_000} ms; stderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 15_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running `umbra` process whose stdout is read line by line (for `shadow watch`). */
export class UmbraLines {
  readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private partial = "";
  private stderrText = "";
  private wake: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [UMBRA_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (d: Buffer) => {
      const parts = (this.partial + d.toString()).split("\n");
      this.partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake?.();
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderrText += d.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code) => {
        this.wake?.();
        resolve(code);
      }),
    );
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The next complete stdout line; rejects on timeout or if the process exits first. */
  async nextLine(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `umbra exited (${this.child.exitCode ?? this.child.signalCode}); stderr: ${this.stderrText}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no output line within ${timeoutMs} ms; stderr: ${this.stderrText}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.lines.shift() as string;
  }

  /** Lines received and not yet taken. */
  get buffered(): number {
    return this.lines.length;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}
