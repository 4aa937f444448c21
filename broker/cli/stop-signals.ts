import type { Logger } from "../../shared/logger.ts";

/**
 * The one way a long-running command (broker, agent, bridge) stops: SIGINT or SIGTERM, taken from the
 * first moment (tsx's loader would otherwise swallow one that arrives during start-up, and the process
 * run on). While the command is still starting, a stop either ends the process at once (`exit`: an
 * agent or a bridge may wait for its node forever) or is held until `onStop` says how to stop (`hold`:
 * a node's start is bounded, and it then closes cleanly). The close runs once; the exit code says
 * whether it was clean.
 */
export class StopSignals {
  private requested: string | undefined;
  private close: (() => Promise<void>) | undefined;
  private stopping = false;
  private log: Pick<Logger, "info" | "error"> | undefined;

  constructor(
    private readonly what: string,
    private readonly whileStarting: "hold" | "exit",
  ) {
    process.on("SIGINT", () => this.request("SIGINT"));
    process.on("SIGTERM", () => this.request("SIGTERM"));
  }

  /** Asks to stop (a signal, or another reason such as the parent process going away). */
  request(reason: string): void {
    this.requested ??= reason;
    if (this.close) this.run(reason);
    else if (this.whileStarting === "exit") process.exit(0);
  }

  /** How to stop, once the command runs; a stop requested earlier happens now. */
  onStop(close: () => Promise<void>, log: Pick<Logger, "info" | "error">): void {
    this.close = close;
    this.log = log;
    if (this.requested !== undefined) this.run(this.requested);
  }

  get requestedReason(): string | undefined {
    return this.requested;
  }

  private run(reason: string): void {
    if (this.stopping || !this.close) return;
    this.stopping = true;
    this.log?.info({ signal: reason }, `${this.what} stopping`);
    this.close().then(
      () => process.exit(0),
      (err: unknown) => {
        this.log?.error({ err }, "unclean shutdown");
        process.exit(1);
      },
    );
  }
}
