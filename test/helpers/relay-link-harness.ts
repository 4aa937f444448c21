import * as A from "@automerge/automerge";
import { RelayLink } from "../../broker/relay/link.ts";
import type { LinkDeps, LinkOptions } from "../../broker/relay/link-types.ts";
import type { MergeResult } from "../../broker/shadow/remote-merge.ts";
import type { Logger } from "../../shared/logger.ts";
import { decodeFrame, type Frame } from "../../shared/relay/protocol.ts";
import { FakeClock } from "./fake-clock.ts";

/** A logger that keeps its lines (level, message, fields) for assertions. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(typeof obj === "string" ? { level, msg: obj, obj: {} } : { level, msg: msg ?? "", obj });
    };
  const log = {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    trace: at("trace"),
    fatal: at("fatal"),
  };
  return Object.assign(log, { child: () => log }) as unknown as Logger & { lines: typeof lines };
}

/** One shadow of the fake store: a real Automerge history. */
export interface FakeShadow {
  changes: Uint8Array[];
  heads: string[];
  epoch: number;
  pinned: number;
}

export function fakeShadow(n = 1): FakeShadow {
  let doc = A.from<{ v: number }>({ v: 0 });
  for (let i = 1; i < n; i++)
    doc = A.change(doc, (d) => {
      d.v = i;
    });
  return { changes: A.getAllChanges(doc), heads: A.getHeads(doc), epoch: 0, pinned: 0 };
}

export const HARNESS_OPTIONS: LinkOptions = {
  syncDeltaMs: 100,
  syncMax: 50,
  ackTimeoutMs: 1000,
  maxFrameBytes: 64 * 1024,
  window: 4,
};

/**
 * A RelayLink on a fake clock over fakes of the shadow store and service (unit tests of the link's own
 * logic: the handlers, the flush policy, the window): frames it sends are decoded into `sent`.
 */
export function linkHarness(
  opts: {
    side?: "child" | "parent";
    options?: Partial<LinkOptions>;
    merge?: (
      key: string,
      changes: readonly Uint8Array[],
      epoch: number,
    ) => MergeResult | Promise<MergeResult>;
    deps?: Partial<LinkDeps>;
  } = {},
) {
  const clock = new FakeClock();
  const log = recordingLogger();
  const shadows = new Map<string, FakeShadow>();
  const sent: Frame[] = [];
  const writes: object[] = [];
  const acked: string[] = [];
  const doc = (key: string) => {
    const s = shadows.get(key) ?? { changes: [], heads: [], epoch: 0, pinned: 0 };
    return {
      pinned: s.pinned,
      doc: {
        heads: () => [...s.heads],
        epoch: s.epoch,
        changesSince: (base: readonly string[]) =>
          base.length > 0 && base.every((h) => s.heads.includes(h)) ? [] : s.changes,
        hasAll: (hs: readonly string[]) => hs.every((h) => s.heads.includes(h)),
        resolvePrefixes: (prefixes: readonly string[]) => {
          const hashes = prefixes.flatMap((p) => s.heads.filter((h) => h.startsWith(p)));
          return { hashes, missing: prefixes.length - hashes.length };
        },
      },
    };
  };
  const store = {
    open: (addr: { thing: string; shadow: string }) =>
      doc(addr.shadow ? `${addr.thing}/${addr.shadow}` : addr.thing),
    *storedHeads() {
      for (const [key, s] of shadows) yield { key, addr: { thing: key, shadow: "" }, heads: s.heads };
    },
  };
  const service = {
    merge: async (addr: { thing: string }, changes: readonly Uint8Array[], _origin: string, epoch: number) =>
      opts.merge ? opts.merge(addr.thing, changes, epoch) : { heads: [], changed: true, missing: false },
  };
  const deps: LinkDeps = {
    site: "here",
    side: opts.side ?? "child",
    service: service as unknown as LinkDeps["service"],
    store: store as unknown as LinkDeps["store"],
    state: {
      loadKnown: () => new Map(),
      loadDirty: () => new Map(),
      write: (_peer: string, batch: object) => void writes.push(batch),
    } as unknown as LinkDeps["state"],
    log,
    clock,
    allows: () => true,
    send: (bytes) => {
      sent.push(
        decodeFrame(bytes, { resolveDep: (key, prefix) => doc(key).doc.resolvePrefixes([prefix]).hashes[0] }),
      );
      return true;
    },
    acked: (key) => void acked.push(key),
    ...opts.deps,
  };
  const link = new RelayLink("peer:there", deps, { ...HARNESS_OPTIONS, ...opts.options });
  /** The frames of kind `t` sent so far. */
  const of = <T extends Frame["t"]>(t: T) => sent.filter((f): f is Extract<Frame, { t: T }> => f.t === t);
  return { link, clock, log, shadows, sent, of, writes, acked };
}
