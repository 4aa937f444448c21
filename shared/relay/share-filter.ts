import { compileThingPattern, isValidThingPattern, type ThingPattern } from "../glob.ts";

/**
 * The share filter a site announces in its `hello` (shared/relay/protocol.ts): the thing globs it
 * shares on that link (a child: its `things` for that parent; a parent: the child's grant). Each side
 * then sends, and digests, only what both filters allow, so nothing the peer would refuse costs bytes.
 * Pure.
 */

/** Longest filter accepted from a peer (a grant is a short list of globs). */
export const MAX_FILTER_CHARS = 4096;

/** The glob spec of a compiled pattern (the inverse of compileThingPattern). */
export function patternSpec(pattern: ThingPattern): string {
  return pattern
    .map((re) =>
      re.source
        .slice(1, -1)
        .replace(/\\(.)|\.\*|\./g, (m: string, escaped?: string) => escaped ?? (m === ".*" ? "*" : "?")),
    )
    .join(",");
}

/**
 * A filter a peer announced: undefined when it announced none (it shares everything our own policy
 * allows), empty when it shares nothing; throws when it is not a valid glob list (the link logs it and assumes none).
 */
export function peerFilter(spec: unknown): ThingPattern | undefined {
  if (spec === undefined) return undefined;
  if (spec === "") return []; // shares nothing (e.g. its identity was revoked)
  if (typeof spec !== "string" || spec.length > MAX_FILTER_CHARS || !isValidThingPattern(spec))
    throw new Error(`the peer announced an invalid share filter ${JSON.stringify(spec).slice(0, 80)}`);
  return compileThingPattern(spec);
}
