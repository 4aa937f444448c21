import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DriverError } from "../types.ts";

/**
 * A local copy of a BMC's Sensor Data Repository for ipmitool's `-S`. Without it every `sdr` or
 * `sensor reading` run first downloads the whole SDR repository, one small IPMI request per record:
 * seconds on a real BMC with a hundred sensors, longer than a poll timeout. The repository only changes
 * with BMC firmware or hardware, so it is dumped once (`sdr dump`) and refreshed every `maxAgeMs`, or
 * after a sensor error (a sensor may have appeared or gone). A BMC that cannot dump is read uncached.
 */
export class SdrCache {
  private readonly path = join(tmpdir(), `umbra-ipmi-${randomBytes(6).toString("hex")}.sdr`);
  private madeAt: number | undefined;
  private unsupported = false;
  private closed = false;
  /** The dump in progress: callers share it (a poll the engine abandoned must not start a second one). */
  private dumping: Promise<void> | undefined;

  constructor(
    private readonly ipmitool: (args: string[]) => Promise<string>,
    private readonly maxAgeMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The `-S <file>` arguments for a sensor command, dumping the repository first when needed. */
  async args(): Promise<string[]> {
    if (this.unsupported) return [];
    if (this.madeAt === undefined || this.now() - this.madeAt > this.maxAgeMs) {
      this.dumping ??= this.dump().finally(() => {
        this.dumping = undefined;
      });
      await this.dumping;
      if (this.unsupported) return [];
    }
    return ["-S", this.path];
  }

  private async dump(): Promise<void> {
    try {
      await this.ipmitool(["sdr", "dump", this.path]);
      this.madeAt = this.now();
    } catch (err) {
      if (err instanceof DriverError && err.kind === "unreachable") throw err;
      this.unsupported = true;
    } finally {
      // Closed meanwhile: the file ipmitool just wrote is nobody's.
      if (this.closed) rmSync(this.path, { force: true });
    }
  }

  /** Forces a fresh dump before the next sensor command. */
  invalidate(): void {
    this.madeAt = undefined;
  }

  close(): void {
    this.closed = true;
    this.madeAt = undefined;
    rmSync(this.path, { force: true });
  }
}
