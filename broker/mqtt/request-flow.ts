/**
 * Bounds the shadow requests the node works on at once (docs/shadow-engine.md, "Request flow"). Under a
 * load the node cannot keep up with, requests otherwise pile up in the JS heap while they wait for
 * their commit — each with its packet, parsed body, new view and change record, copied by every
 * scavenge and promoted — and the garbage collector's share of the main thread grows with the number of
 * devices. Beyond `limit`, a request's publish is held (not yet acknowledged: aedes reads nothing more
 * from that client until it is let through), so the backlog waits in the clients' sockets, where it
 * costs the node nothing, and is let through in arrival order once the work drops to `resumeAt`.
 *
 * A request counts from `started` (dispatched) to `finished` (its result known, before its reply is
 * written: a reply held by a client's flow control must not hold another client's request back).
 */
export class RequestFlow {
  private work = 0;
  private readonly held: (() => void)[] = [];
  private head = 0;
  private releasing = false;
  /** Requests that were held, since start (a metric). */
  heldTotal = 0;

  constructor(
    /** At most this many requests in work before the next ones are held; 0: no bound. */
    readonly limit: number,
    readonly resumeAt = Math.floor(limit * 0.75),
  ) {}

  /** Requests in work now. */
  get inWork(): number {
    return this.work;
  }

  /** Requests held now. */
  get waiting(): number {
    return this.held.length - this.head;
  }

  /** Runs `go` (which dispatches a request) now, or once there is room, in arrival order. */
  admit(go: () => void): void {
    if (this.limit === 0 || (this.work < this.limit && this.waiting === 0)) {
      go();
      return;
    }
    this.heldTotal++;
    this.held.push(go);
  }

  started(): void {
    this.work++;
  }

  finished(): void {
    this.work--;
    if (this.work <= this.resumeAt && this.waiting > 0) this.release();
  }

  /** Lets held requests through until the limit (each `go` starts its request synchronously). */
  private release(): void {
    if (this.releasing) return;
    this.releasing = true;
    try {
      while (this.head < this.held.length && this.work < this.limit) {
        const go = this.held[this.head];
        this.held[this.head++] = noop;
        go?.();
      }
      if (this.head === this.held.length) {
        this.held.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.held.length) {
        this.held.splice(0, this.head);
        this.head = 0;
      }
    } finally {
      this.releasing = false;
    }
  }
}

function noop(): void {}
