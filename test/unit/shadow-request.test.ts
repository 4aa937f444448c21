import { describe, expect, it } from "vitest";
import { ShadowError } from "../../shared/errors.ts";
import { DEFAULT_LIMITS } from "../../shared/limits.ts";
import {
  parseRequestPayload,
  validatePlainRequest,
  validateUpdateRequest,
} from "../../shared/shadow-request.ts";

const L = DEFAULT_LIMITS;

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ShadowError) return err.code;
    throw err;
  }
  return undefined;
}

function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) v = { n: v };
  return v;
}

describe("request payloads", () => {
  it("treats an empty payload as an empty request", () => {
    expect(parseRequestPayload(Buffer.alloc(0), L)).toEqual({});
  });
  it("rejects non-JSON, non-objects, invalid UTF-8 and oversize payloads", () => {
    expect(codeOf(() => parseRequestPayload("{", L))).toBe(400);
    expect(codeOf(() => parseRequestPayload("[1]", L))).toBe(400);
    expect(codeOf(() => parseRequestPayload("42", L))).toBe(400);
    expect(codeOf(() => parseRequestPayload(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), L))).toBe(400);
    expect(codeOf(() => parseRequestPayload("x".repeat(L.maxRequestBytes + 1), L))).toBe(413);
  });
});

describe("update validation", () => {
  const ok = (body: object) => validateUpdateRequest(body as never, L);
  const code = (body: object) => codeOf(() => ok(body));

  it("accepts desired, reported, null sections, version and clientToken", () => {
    expect(ok({ state: { desired: { a: 1 }, reported: null }, version: 3, clientToken: "t" })).toEqual({
      desired: { a: 1 },
      reported: null,
      version: 3,
      clientToken: "t",
    });
  });
  it("rejects missing or malformed state with 400", () => {
    expect(code({})).toBe(400);
    expect(code({ state: 1 })).toBe(400);
    expect(code({ state: {} })).toBe(400);
    expect(code({ state: { delta: {} } })).toBe(400);
    expect(code({ state: { desired: [1] } })).toBe(400);
    expect(code({ state: { desired: "x" } })).toBe(400);
  });
  it("rejects bad versions and tokens with 400", () => {
    expect(code({ state: { desired: {} }, version: -1 })).toBe(400);
    expect(code({ state: { desired: {} }, version: 1.5 })).toBe(400);
    expect(code({ state: { desired: {} }, version: "1" })).toBe(400);
    expect(code({ state: { desired: {} }, clientToken: "x".repeat(65) })).toBe(400);
    expect(code({ state: { desired: {} }, clientToken: 5 })).toBe(400);
  });
  it("limits nesting depth and nulls in arrays", () => {
    expect(code({ state: { desired: nested(L.maxDepth) } })).toBeUndefined();
    expect(code({ state: { desired: nested(L.maxDepth + 1) } })).toBe(400);
    expect(code({ state: { reported: { a: [1, null] } } })).toBe(400);
    expect(code({ state: { reported: { a: [[{ b: null }]] } } })).toBeUndefined();
  });
  it("validates get/delete requests", () => {
    expect(validatePlainRequest({ clientToken: "abc" }, L)).toEqual({ clientToken: "abc" });
    expect(codeOf(() => validatePlainRequest({ version: "x" }, L))).toBe(400);
  });
});
