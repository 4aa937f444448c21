import { parseArgs } from "node:util";

export const PARTS = ["umbra", "baseline", "stored"] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  devices: number;
  /** Seconds of each measured phase. */
  duration: number;
  /** Seconds of closed-loop warm-up (creates the shadows) before measuring. */
  warmup: number;
  /** Open-loop rate, updates/s. */
  rate: number;
  /** Desired updates/s of the desired→delta phase. */
  deltaRate: number;
  /** Shadows written for the stored-shadows phase (0 skips it). */
  stored: number;
  /** Random gets/updates on the stored shadows. */
  touch: number;
  workers: number;
  /** The parts to run: umbra (device load on the node), baseline (bare aedes), stored. */
  parts: Part[];
  /** Extra node flags for the Umbra node processes (e.g. --stack-trace-limit=100). */
  nodeArgs: string[];
  /** Directory for `node --cpu-prof` profiles of the Umbra node processes (none when undefined). */
  cpuProf: string | undefined;
  /** Directory for a latency trace of the Umbra load phases (bench/latency-trace.ts; none when undefined). */
  trace: string | undefined;
  /** Before each part, wait up to this many seconds for the machine to be idle (0: do not wait). */
  waitIdle: number;
  /** Hard limit for the whole run, seconds. */
  timeout: number;
  quick: boolean;
}

const HELP = `usage: npx tsx bench/shadow-bench.ts [options]
  --devices N      simulated devices (mqtt.js connections), default 10000 (quick: 200)
  --duration S     seconds per measured phase, default 20 (quick: 3)
  --warmup S       closed-loop warm-up seconds before measuring, default 5 (quick: 1)
  --rate R         open-loop updates/s, default 2000 (quick: 200)
  --delta-rate R   desired updates/s in the desired->delta phase, default = --rate
  --stored N       shadows in the stored-shadows phase, default 100000 (quick: 2000); 0 skips
  --touch N        random gets/updates on the stored shadows, default 20000 (quick: 500)
  --workers W      load-generator processes, default 2 (quick: 1)
  --only LIST      run only these parts: umbra,baseline,stored (default: all three)
  --no-baseline    same as --only umbra,stored
  --node-args="F"  extra node flags for the Umbra node processes, space separated (note the =)
  --cpu-prof DIR   run the Umbra nodes with --cpu-prof: profiles in DIR/load-node, DIR/stored-node
  --trace DIR      latency trace of the Umbra load phases (node timeline + every open-loop and
                   desired request) in DIR, and what overlapped the slow requests (bench/latency-trace.ts)
                   (one file per thread; the largest is the main thread)
  --wait-idle S    before each part, wait up to S s for the machine to be idle (shared machines)
  --timeout S      abort the whole run after S seconds, default 1200
  --quick          small and fast, for a sanity check`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      rate: { type: "string" },
      "delta-rate": { type: "string" },
      stored: { type: "string" },
      touch: { type: "string" },
      workers: { type: "string" },
      "no-baseline": { type: "boolean" },
      only: { type: "string" },
      "cpu-prof": { type: "string" },
      trace: { type: "string" },
      "node-args": { type: "string" },
      timeout: { type: "string" },
      "wait-idle": { type: "string" },
      quick: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const quick = values.quick === true;
  const num = (key: keyof typeof values, normal: number, small: number, min = 1): number => {
    const raw = values[key];
    if (raw === undefined) return quick ? small : normal;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${key} must be a number >= ${min}, got ${String(raw)}`);
    return n;
  };
  const rate = num("rate", 2000, 200);
  return {
    devices: Math.floor(num("devices", 10_000, 200)),
    duration: num("duration", 20, 3, 0.5),
    warmup: num("warmup", 5, 1, 0),
    rate,
    deltaRate: num("delta-rate", rate, rate),
    stored: Math.floor(num("stored", 100_000, 2000, 0)),
    touch: Math.floor(num("touch", 20_000, 500, 0)),
    workers: Math.floor(num("workers", 2, 1)),
    parts: parseParts(values.only, values["no-baseline"] === true),
    cpuProf: values["cpu-prof"],
    trace: values.trace,
    nodeArgs: (values["node-args"] ?? "").split(" ").filter((a) => a !== ""),
    waitIdle: num("wait-idle", 0, 0, 0),
    timeout: num("timeout", 1200, 300, 10),
    quick,
  };
}

function parseParts(only: string | undefined, noBaseline: boolean): Part[] {
  const wanted = only === undefined ? [...PARTS] : only.split(",").map((p) => p.trim());
  for (const p of wanted) {
    if (!PARTS.includes(p as Part)) throw new Error(`--only: unknown part '${p}' (use ${PARTS.join(",")})`);
  }
  return PARTS.filter((p) => wanted.includes(p) && !(noBaseline && p === "baseline"));
}
