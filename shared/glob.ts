/**
 * Thing-name patterns for grants: a comma-separated list of globs where `*` matches any run of
 * characters and `?` one character (thing names cannot contain either, so no escaping is needed).
 * `*` alone grants every thing.
 */
export type ThingPattern = readonly RegExp[];

export function compileThingPattern(spec: string): ThingPattern {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(
      (glob) =>
        new RegExp(
          `^${glob
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        ),
    );
}

export function matchesThing(pattern: ThingPattern, thing: string): boolean {
  return pattern.some((re) => re.test(thing));
}

/** Checks a pattern spec: non-empty, only thing-name characters and wildcards. */
export function isValidThingPattern(spec: string): boolean {
  const parts = spec.split(",").map((s) => s.trim());
  return parts.length > 0 && parts.every((p) => /^[a-zA-Z0-9:_*?-]{1,128}$/.test(p));
}
