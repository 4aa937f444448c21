import { brotliCompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FrameIntake, type IntakePolicy } from "../../broker/relay/frame-intake.ts";
import { systemClock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/logger.ts";
import { FrameBombError, inflateFrame } from "../../shared/relay/frame-inflate.ts";
import { encodeFrame, FrameError, parseFrame } from "../../shared/relay/protocol.ts";

/** A frame whose plain part is `plain` (u32 header length included). */
const frameOf = (plain: Buffer) =>
  new Uint8Array(Buffer.concat([Buffer.from([0x55, 0x52, 1]), brotliCompressSync(plain)]));
const plainOf = (header: string, pad = 0) => {
  const json = Buffer.from(header + " ".repeat(pad));
  const out = Buffer.alloc(4 + json.byteLength);
  out.writeUInt32BE(json.byteLength, 0);
  json.copy(out, 4);
  return out;
};

describe("inflateFrame", () => {
  it("inflates a frame parseFrame reads back", async () => {
    const bytes = encodeFrame({ t: "digest", buckets: ["", "ab"] });
    expect(parseFrame(await inflateFrame(bytes, 1024))).toEqual({ t: "digest", buckets: ["", "ab"] });
  });

  it("stops at the cap with FrameBombError, and lowers the cap by the frame's first bytes", async () => {
    const big = frameOf(plainOf('{"t":"digest"}', 200_000));
    await expect(inflateFrame(big, 100_000)).rejects.toBeInstanceOf(FrameBombError);
    await expect(inflateFrame(big, 1_000_000)).resolves.toHaveLength(200_018);
    // The same frame under a kind-dependent cap: digests small, heads large.
    const capFor = (head: Buffer) => (head.subarray(4).toString().startsWith('{"t":"heads"') ? 1e6 : 1000);
    await expect(inflateFrame(big, 1_000_000, capFor)).rejects.toBeInstanceOf(FrameBombError);
    const heads = frameOf(plainOf('{"t":"heads"}', 200_000));
    await expect(inflateFrame(heads, 1_000_000, capFor)).resolves.toHaveLength(200_017);
  });

  it("refuses what is not a frame with a FrameError (not a bomb)", async () => {
    const err = await inflateFrame(new Uint8Array([0x55, 0x52, 1, 1, 2, 3]), 1000).catch((e) => e);
    expect(err).toBeInstanceOf(FrameError);
    expect(err).not.toBeInstanceOf(FrameBombError);
    await expect(inflateFrame(new Uint8Array([1, 2, 3]), 1000)).rejects.toThrow(/not a relay frame/);
  });
});

/** A logger that records (level, msg) pairs. */
function recordingLog(): { log: Logger; lines: [string, string][] } {
  const lines: [string, string][] = [];
  const at = (level: string) => (_o: unknown, msg?: string) => lines.push([level, msg ?? ""]);
  const log = {
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    error: at("error"),
  } as unknown as Logger;
  return { log, lines };
}

const POLICY: IntakePolicy = {
  maxInflatedBytes: 10_000,
  costPerSecond: 1e9,
  maxQueued: 4,
  badFramesToCut: 3,
  windowMs: 60_000,
  cutOffMs: 60_000,
};

/** Polls until `done` (bounded): inflation runs on the thread pool and may be slow on a loaded machine. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !done() && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
}

describe("FrameIntake", () => {
  it("delivers frames in order, inflated", async () => {
    const { log } = recordingLog();
    const got: string[] = [];
    const intake = new FrameIntake("child:a", POLICY, {
      log,
      deliver: async (_b, plain) => {
        got.push((parseFrame(plain) as { site: string }).site);
      },
      cutOff: () => undefined,
    });
    for (const site of ["s1", "s2", "s3"]) intake.push(encodeFrame({ t: "hello", site, epoch: 1, v: 1 }));
    await until(() => got.length === 3);
    expect(got).toEqual(["s1", "s2", "s3"]);
  });

  it("cuts a peer off at the first bomb, logs it once, and drops its frames while cut off", async () => {
    const { log, lines } = recordingLog();
    let now = 1_000;
    const cuts: string[] = [];
    let delivered = 0;
    const intake = new FrameIntake("child:a", POLICY, {
      log,
      clock: { now: () => now, after: systemClock.after },
      deliver: async () => {
        delivered++;
      },
      cutOff: (reason) => cuts.push(reason),
    });
    intake.push(frameOf(plainOf('{"t":"digest"}', 50_000)));
    await until(() => intake.isCutOff);
    expect(intake.isCutOff).toBe(true);
    expect(cuts[0]).toMatch(/decompression bomb/);
    intake.push(encodeFrame({ t: "hello", site: "s", epoch: 1, v: 1 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(delivered).toBe(0);
    expect(lines.filter(([l]) => l === "warn")).toEqual([["warn", "relay: peer cut off"]]);
    now += POLICY.cutOffMs;
    intake.push(encodeFrame({ t: "hello", site: "s", epoch: 1, v: 1 }));
    await until(() => delivered === 1);
    expect(delivered).toBe(1);
  });

  it("warns once for refused frames and cuts the peer off after badFramesToCut of them", async () => {
    const { log, lines } = recordingLog();
    const cuts: string[] = [];
    const intake = new FrameIntake("child:a", POLICY, {
      log,
      deliver: async () => undefined,
      cutOff: (reason) => cuts.push(reason),
    });
    intake.push(new Uint8Array([1, 2, 3]));
    intake.push(new Uint8Array([1, 2, 4]));
    await until(() => intake.stats.refused === 2);
    expect(lines.filter(([l]) => l === "warn")).toHaveLength(1);
    expect(cuts).toEqual([]);
    intake.refused("relay frame header is not JSON");
    expect(cuts[0]).toMatch(/3 refused frames/);
    expect(lines.filter(([l]) => l === "warn").map(([, m]) => m)).toEqual([
      expect.stringMatching(/^relay: frame from the peer refused/),
      "relay: peer cut off",
    ]);
  });

  it("refuses a heads frame over the cap like any other kind, naming an unpaged one, without a cut-off", async () => {
    const { log, lines } = recordingLog();
    const cuts: string[] = [];
    let delivered = 0;
    const intake = new FrameIntake("child:a", POLICY, {
      log,
      deliver: async () => {
        delivered++;
      },
      cutOff: (reason) => cuts.push(reason),
    });
    // A page (under the cap) is delivered; one big heads frame (a peer before paging) is refused.
    intake.push(frameOf(plainOf('{"t":"heads"}', 5_000)));
    intake.push(frameOf(plainOf('{"t":"heads"}', 50_000)));
    await until(() => delivered + intake.stats.refused === 2);
    expect([delivered, intake.stats.refused, cuts]).toEqual([1, 1, []]);
    expect(intake.isCutOff).toBe(false);
    expect(lines).toContainEqual(["debug", "relay: frame refused"]);
    // Refused frames count: badFramesToCut of them cut the peer off, as for any kind.
    intake.push(frameOf(plainOf('{"t":"heads"}', 50_000)));
    intake.push(frameOf(plainOf('{"t":"heads"}', 50_000)));
    await until(() => cuts.length > 0);
    expect(cuts[0]).toMatch(/3 refused frames.*unpaged heads frame over 10000 bytes/);
  });

  it("holds at most maxQueued frames while one is being handled", async () => {
    const { log } = recordingLog();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let delivered = 0;
    const intake = new FrameIntake("child:a", POLICY, {
      log,
      deliver: async () => {
        delivered++;
        await gate;
      },
      cutOff: () => undefined,
    });
    const hello = encodeFrame({ t: "hello", site: "s", epoch: 1, v: 1 });
    for (let i = 0; i < 10; i++) intake.push(hello);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await until(() => delivered === 5);
    // One taken at once, four queued behind it; the other five dropped (and counted).
    expect(delivered).toBe(5);
    expect(intake.stats.refused).toBe(5);
  });
});
