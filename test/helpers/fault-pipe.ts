import type { Socket } from "node:net";

/**
 * One direction of a proxied TCP connection with faults: latency (each chunk is held until
 * `arrival + latencyMs`), a bandwidth cap (a serialising line: each byte leaves 1/rate s after the
 * previous one, chunks split to fit, order kept), stalls (bytes
 * are held, sockets stay open) and half-open (bytes are silently discarded). The input is paused while
 * more than `HIGH_WATER` bytes wait, so a stalled or slow pipe holds bounded memory and pushes back on
 * the sender like a full TCP window.
 */
export interface PipeShape {
  latencyMs: number;
  /** Bytes per second; 0 = unlimited. */
  bytesPerSec: number;
}

export interface PipeCounters {
  /** Bytes written to the output. */
  forwarded: number;
  /** Bytes discarded while half-open. */
  discarded: number;
}

const HIGH_WATER = 1 << 20;

interface Held {
  chunk: Buffer;
  releaseAt: number;
}

export class FaultPipe {
  stalled = false;
  halfOpen = false;
  private readonly queue: Held[] = [];
  private queued = 0;
  /**
   * When the line is free to send the next byte (virtual time). A line with a backlog sends
   * continuously, so when this process's event loop was busy and the timer fired late, what the line
   * would have sent meanwhile goes at once: the cap never falls below the rate because of our own CPU.
   */
  private nextFree = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private waitingDrain = false;
  private closed = false;

  constructor(
    private readonly input: Socket,
    private readonly output: Socket,
    private readonly shape: () => PipeShape,
    private readonly counters: PipeCounters,
  ) {
    input.on("data", (chunk: Buffer) => this.take(chunk));
    input.on("end", () => {
      this.ended = true;
      this.pump();
    });
    output.on("drain", () => {
      this.waitingDrain = false;
      this.pump();
    });
  }

  private take(chunk: Buffer): void {
    if (this.closed) return;
    if (this.halfOpen) {
      this.counters.discarded += chunk.length;
      return;
    }
    this.queue.push({ chunk, releaseAt: performance.now() + this.shape().latencyMs });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.input.pause();
    this.pump();
  }

  /** Moves whatever is due to the output; re-arms one timer for the next due moment. */
  pump(): void {
    if (this.closed || this.stalled || this.waitingDrain) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const { bytesPerSec } = this.shape();
    while (this.queue.length > 0) {
      const head = this.queue[0] as Held;
      const now = performance.now();
      if (now < head.releaseAt) {
        this.arm(head.releaseAt - now);
        return;
      }
      let n = head.chunk.length;
      if (bytesPerSec > 0) {
        const start = Math.max(this.nextFree, head.releaseAt);
        const due = Math.floor(((now - start) * bytesPerSec) / 1000);
        // Wake for at least 10 ms of the line (or the whole chunk), not for every byte.
        const want = Math.min(n, Math.max(1, Math.floor(bytesPerSec / 100)));
        if (due < want) {
          this.arm(start + (want * 1000) / bytesPerSec - now);
          return;
        }
        n = Math.min(n, due);
        this.nextFree = start + (n * 1000) / bytesPerSec;
      }
      const part = head.chunk.subarray(0, n);
      if (n === head.chunk.length) this.queue.shift();
      else head.chunk = head.chunk.subarray(n);
      this.queued -= n;
      this.counters.forwarded += n;
      const ok = this.output.write(part);
      if (this.queued <= HIGH_WATER / 2 && this.input.isPaused()) this.input.resume();
      if (!ok) {
        this.waitingDrain = true;
        return;
      }
    }
    if (this.ended && !this.output.writableEnded) this.output.end();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  /** Bytes held (latency, rate or stall) and not yet forwarded. */
  get pending(): number {
    return this.queued;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queued = 0;
  }
}
