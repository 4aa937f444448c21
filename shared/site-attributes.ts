import type { AttributeState } from "./attribute-origins.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/**
 * Attributes across sites (docs/fleet.md): the node where attributes are written mirrors them into the
 * thing's reserved shadow `$umbra-attributes` (reported = the whole attribute document, plus who set each
 * key under `$origins`, shared/attribute-origins.ts); the relay
 * carries it within each site's grant and merges concurrent edits leaf by leaf; a node receiving a
 * merged change stores the shadow's reported section as the thing's attributes. Pure: no I/O.
 */
export const ATTRIBUTES_SHADOW = "$umbra-attributes";
/** The reported key of the carrier shadow that holds the origins (attribute keys never start with `$`). */
export const ORIGINS_KEY = "$origins";

/** The carrier shadow's reported section for an attribute state. */
export function carrierReported(state: AttributeState): JsonObject {
  return Object.keys(state.origins).length > 0
    ? { ...state.attributes, [ORIGINS_KEY]: state.origins }
    : { ...state.attributes };
}

/** The attribute state a carrier shadow's reported section holds. */
export function stateFromCarrier(reported: JsonObject): AttributeState {
  const { [ORIGINS_KEY]: origins, ...attributes } = reported;
  return { attributes, origins: isJsonObject(origins) ? origins : {} };
}

/**
 * The shadow update (`reported` patch) that turns `from` into `to`: changed leaves set, leaves that
 * are gone set to null (a shadow deletes a key written as null), equal subtrees left out.
 */
export function replacementPatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    const old: JsonValue | undefined = from[k];
    if (isJsonObject(old) && isJsonObject(v)) {
      const sub = replacementPatch(old, v);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (JSON.stringify(old) !== JSON.stringify(v)) patch[k] = v;
  }
  return patch;
}
