import { type Comparison, FIELD_ROOTS, type Literal, type Query, QueryError, type Term } from "./ast.ts";
import { type Token, tokenize } from "./tokens.ts";

/** Longest accepted query text, and deepest nesting: bounded work for any input. */
export const MAX_QUERY_LENGTH = 4096;
const MAX_DEPTH = 32;
const KEYWORDS = new Set(["AND", "OR", "NOT", "TO"]);
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parses a fleet query (docs/fleet.md). An empty query matches every thing. Throws QueryError naming
 * the position and the problem.
 */
export function parseQuery(input: string): Query {
  if (input.length > MAX_QUERY_LENGTH) {
    throw new QueryError(MAX_QUERY_LENGTH, `query longer than ${MAX_QUERY_LENGTH} characters`);
  }
  if (input.trim() === "") return { type: "all" };
  const p = new Parser(tokenize(input));
  const q = p.or(0);
  p.expectEnd();
  return q;
}

/** Parses a dotted field name (for sort, fields, groupBy); `pos` offsets error positions. */
export function parseField(text: string, pos = 0): string[] {
  const parts = text.split(".");
  const root = parts[0] ?? "";
  if (!(FIELD_ROOTS as readonly string[]).includes(root)) {
    throw new QueryError(pos, `unknown field '${text}': a field starts with ${FIELD_ROOTS.join(", ")}`);
  }
  if (parts.some((s) => s === "")) throw new QueryError(pos, `empty path segment in field '${text}'`);
  return parts;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private get tok(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const t = this.tok;
    if (t.type !== "end") this.i++;
    return t;
  }

  private isKeyword(word: string): boolean {
    return this.tok.type === "word" && this.tok.text === word;
  }

  expectEnd(): void {
    const t = this.tok;
    if (t.type === ")") throw new QueryError(t.pos, "unbalanced ')'");
    if (t.type !== "end")
      throw new QueryError(t.pos, `expected AND, OR or the end of the query, found '${t.text}'`);
  }

  or(depth: number): Query {
    const terms = [this.and(depth)];
    while (this.isKeyword("OR")) {
      this.next();
      terms.push(this.and(depth));
    }
    return terms.length === 1 ? (terms[0] as Query) : { type: "or", terms };
  }

  private and(depth: number): Query {
    const terms = [this.unary(depth)];
    while (this.isKeyword("AND")) {
      this.next();
      terms.push(this.unary(depth));
    }
    return terms.length === 1 ? (terms[0] as Query) : { type: "and", terms };
  }

  private unary(depth: number): Query {
    if (depth > MAX_DEPTH) throw new QueryError(this.tok.pos, `nesting deeper than ${MAX_DEPTH}`);
    const t = this.tok;
    if (this.isKeyword("NOT")) {
      this.next();
      return { type: "not", term: this.unary(depth + 1) };
    }
    if (t.type === "(") {
      this.next();
      const q = this.or(depth + 1);
      const close = this.next();
      if (close.type !== ")") throw new QueryError(close.pos, `expected ')' to close the '(' at ${t.pos}`);
      return q;
    }
    return this.term();
  }

  private term(): Term {
    const t = this.next();
    if (t.type !== "word" || KEYWORDS.has(t.text)) {
      throw new QueryError(
        t.pos,
        t.type === "end"
          ? "expected a term, found the end of the query"
          : `expected a field, found '${t.text}'`,
      );
    }
    const field = parseField(t.text, t.pos);
    const sep = this.next();
    if (sep.type === "op") {
      const value = this.literal(`after '${sep.text}'`);
      if (value.kind === "boolean")
        throw new QueryError(sep.pos, `'${sep.text}' compares numbers or strings, not booleans`);
      return { type: "cmp", field, op: sep.text as Comparison, value };
    }
    if (sep.type !== ":") {
      throw new QueryError(sep.pos, `expected ':' or a comparison after field '${t.text}'`);
    }
    if (this.tok.type === "word" && this.tok.text === "*") {
      this.next();
      return { type: "exists", field };
    }
    if (this.tok.type === "[") {
      const open = this.next();
      const low = this.literal("after '['");
      if (!this.isKeyword("TO")) throw new QueryError(this.tok.pos, "expected TO in a range [low TO high]");
      this.next();
      const high = this.literal("after TO");
      const close = this.next();
      if (close.type !== "]")
        throw new QueryError(close.pos, `expected ']' to close the range opened at ${open.pos}`);
      if (low.kind === "boolean" || high.kind === "boolean" || low.kind !== high.kind) {
        throw new QueryError(open.pos, "a range needs two numbers or two strings");
      }
      return { type: "range", field, low, high };
    }
    return { type: "eq", field, value: this.literal("after ':'") };
  }

  private literal(where: string): Literal {
    const t = this.next();
    if (t.type === "string") return { kind: "string", text: t.text, quoted: true };
    if (t.type !== "word" || KEYWORDS.has(t.text)) {
      throw new QueryError(
        t.pos,
        `expected a value ${where}${t.type === "end" ? ", found the end of the query" : `, found '${t.text}'`}`,
      );
    }
    if (t.text === "true" || t.text === "false")
      return { kind: "boolean", value: t.text === "true", text: t.text };
    if (NUMBER.test(t.text)) return { kind: "number", value: Number(t.text), text: t.text };
    return { kind: "string", text: t.text, quoted: false };
  }
}
