import fc from "fast-check";
import type { JsonObject, JsonValue } from "../../shared/json.ts";

/**
 * A shadow update section as a client sends it: nested maps of `key`s whose leaves are `scalar`s or
 * null (a delete), at most 3 keys per level. Shared by the property tests of the shadow document and
 * of the relay codec.
 */
export function patchArbitrary(
  key: fc.Arbitrary<string>,
  scalar: fc.Arbitrary<JsonValue>,
): fc.Arbitrary<JsonObject> {
  return fc.letrec<{ obj: JsonObject; val: JsonValue | null }>((tie) => ({
    obj: fc.dictionary(key, tie("val"), { maxKeys: 3 }) as fc.Arbitrary<JsonObject>,
    val: fc.oneof(
      { depthSize: "small" },
      scalar,
      fc.constant(null),
      tie("obj"),
    ) as fc.Arbitrary<JsonValue | null>,
  })).obj;
}
