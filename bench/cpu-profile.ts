import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** What the bench tools read of a V8 CPU profile (`--cpu-prof`). */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

/** A profile file, or the largest `.cpuprofile` in a directory or below it (the node's main thread). */
export function largestProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = (readdirSync(path, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(path, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${path}`);
  return files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
}

/** Reads one profile file. */
export function readProfile(file: string): Profile {
  return JSON.parse(readFileSync(file, "utf8")) as Profile;
}
