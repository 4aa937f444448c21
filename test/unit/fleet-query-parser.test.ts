import { describe, expect, it } from "vitest";
import { parseQuery, QueryError } from "../../shared/query/index.ts";

function errorOf(q: string): { position: number; problem: string } {
  try {
    parseQuery(q);
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    const e = err as QueryError;
    return { position: e.position, problem: e.problem };
  }
  throw new Error(`parsed: ${q}`);
}

describe("fleet query parser", () => {
  it("parses AWS fleet-indexing style terms with AND/OR/NOT and parentheses", () => {
    expect(
      parseQuery("attributes.type:pdu AND (shadow.reported.temp > 30 OR NOT connectivity.connected:true)"),
    ).toEqual({
      type: "and",
      terms: [
        { type: "eq", field: ["attributes", "type"], value: { kind: "string", text: "pdu", quoted: false } },
        {
          type: "or",
          terms: [
            {
              type: "cmp",
              field: ["shadow", "reported", "temp"],
              op: ">",
              value: { kind: "number", value: 30, text: "30" },
            },
            {
              type: "not",
              term: {
                type: "eq",
                field: ["connectivity", "connected"],
                value: { kind: "boolean", value: true, text: "true" },
              },
            },
          ],
        },
      ],
    });
  });

  it("parses exists, ranges, quoted strings and named shadows", () => {
    expect(parseQuery("attributes.serial:*")).toEqual({ type: "exists", field: ["attributes", "serial"] });
    expect(parseQuery("shadow.name.power.reported.watts:[100 TO 200]")).toMatchObject({
      type: "range",
      field: ["shadow", "name", "power", "reported", "watts"],
    });
    expect(parseQuery('attributes.owner:"team a \\"x\\""')).toMatchObject({
      value: { text: 'team a "x"', quoted: true },
    });
    expect(parseQuery("   ")).toEqual({ type: "all" });
  });

  it("accepts more than AWS's five terms", () => {
    const q = Array.from({ length: 12 }, (_, i) => `attributes.k${i}:v`).join(" AND ");
    expect(parseQuery(q)).toMatchObject({ type: "and" });
  });

  it("names the position and the problem", () => {
    expect(errorOf("attributes.type:")).toEqual({
      position: 16,
      problem: "expected a value after ':', found the end of the query",
    });
    expect(errorOf("foo.bar:1")).toMatchObject({
      position: 0,
      problem: expect.stringContaining("unknown field 'foo.bar'"),
    });
    expect(errorOf("attributes.type:pdu AND")).toEqual({
      position: 23,
      problem: "expected a term, found the end of the query",
    });
    expect(errorOf("(attributes.a:1")).toMatchObject({
      position: 15,
      problem: "expected ')' to close the '(' at 0",
    });
    expect(errorOf("attributes.a:1)")).toEqual({ position: 14, problem: "unbalanced ')'" });
    expect(errorOf('attributes.a:"open')).toMatchObject({
      position: 13,
      problem: expect.stringContaining("unterminated"),
    });
    expect(errorOf("attributes.a:1 attributes.b:2")).toMatchObject({
      position: 15,
      problem: expect.stringContaining("expected AND, OR"),
    });
    expect(errorOf("attributes.a = 1")).toMatchObject({ position: 13, problem: "unexpected character '='" });
    expect(errorOf("attributes.a > true")).toMatchObject({
      problem: expect.stringContaining("not booleans"),
    });
    expect(errorOf("attributes.a:[1 TO b]")).toMatchObject({
      problem: "a range needs two numbers or two strings",
    });
    expect(errorOf("attributes..a:1")).toMatchObject({
      problem: expect.stringContaining("empty path segment"),
    });
    expect(errorOf(`${"(".repeat(40)}attributes.a:1${")".repeat(40)}`).problem).toContain("nesting deeper");
  });
});
