import type { ExtensionDefinition } from "./extension.ts";

/**
 * The capabilities a node starts beside the shadow core, in start order (a later one may use an
 * earlier one through `ctx.extension(name)`). Each lives in its own directory under broker/.
 */
export const EXTENSIONS: readonly ExtensionDefinition[] = [];
