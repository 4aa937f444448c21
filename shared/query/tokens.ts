import { QueryError } from "./ast.ts";

export type TokenType = "word" | "string" | "op" | "(" | ")" | "[" | "]" | ":" | "end";

export interface Token {
  type: TokenType;
  text: string;
  /** 0-based offset of the token's first character in the query. */
  pos: number;
}

const WORD = /[A-Za-z0-9_.*$/\-+]/;

/** Splits a query into tokens; a stray character or an unterminated string is a QueryError. */
export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(" || c === ")" || c === "[" || c === "]" || c === ":") {
      out.push({ type: c, text: c, pos: i });
      i++;
    } else if (c === ">" || c === "<") {
      const op = input[i + 1] === "=" ? `${c}=` : c;
      out.push({ type: "op", text: op, pos: i });
      i += op.length;
    } else if (c === '"') {
      const start = i;
      let text = "";
      i++;
      for (;;) {
        if (i >= input.length) throw new QueryError(start, 'unterminated string (missing closing ")');
        const d = input[i] as string;
        if (d === "\\" && i + 1 < input.length) {
          text += input[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      out.push({ type: "string", text, pos: start });
    } else if (WORD.test(c)) {
      const start = i;
      while (i < input.length && WORD.test(input[i] as string)) i++;
      out.push({ type: "word", text: input.slice(start, i), pos: start });
    } else {
      throw new QueryError(i, `unexpected character '${c}'`);
    }
  }
  out.push({ type: "end", text: "", pos: input.length });
  return out;
}
