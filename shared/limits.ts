/** Shadow limits. Defaults follow AWS IoT Device Shadow; every one is configurable on the node. */
export interface ShadowLimits {
  /** Max bytes of the compact JSON of `{desired, reported}` after an update is merged (AWS: 8 KiB). */
  maxStateBytes: number;
  /** Max bytes of one request payload; larger requests are rejected 413 before parsing. */
  maxRequestBytes: number;
  /** Max nesting depth of objects inside `desired` or `reported` (AWS: 8). */
  maxDepth: number;
  /** Max UTF-8 bytes of a clientToken (AWS: 64). */
  maxClientTokenBytes: number;
  /** Max named shadows of one thing (AWS: 10 by default); creating one more is refused 413. */
  maxNamedShadows: number;
  /**
   * Max shadows a device or bridge identity has created that still exist; creating one more is refused
   * 413. Bounds the disk one credential can fill (issue 17).
   */
  maxShadowsPerIdentity: number;
}

export const DEFAULT_LIMITS: Readonly<ShadowLimits> = Object.freeze({
  maxStateBytes: 8 * 1024,
  maxRequestBytes: 16 * 1024,
  maxDepth: 8,
  maxClientTokenBytes: 64,
  maxNamedShadows: 100,
  maxShadowsPerIdentity: 10_000,
});
