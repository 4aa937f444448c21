import { isJsonObject, type JsonValue } from "../../shared/json.ts";
import { getPath, type Path, parsePath } from "./paths.ts";

/**
 * Argument templates: one argv element of a handler's command, e.g. `--server={value}`. A template
 * always renders to exactly one argv element, whatever the value contains — the agent never runs a
 * shell, so quotes, `;`, `$()` and spaces in a desired value are just characters of that element.
 *
 * Placeholders: `{value}` (the desired value; objects/arrays as compact JSON), `{value.a.b}` (a field
 * of an object value), `{json}` (the value as JSON, also for strings), `{thing}`, `{path}` (the desired
 * path). `{{` and `}}` are literal braces.
 */
export type TemplatePart =
  | { text: string }
  | { value: Path }
  | { json: true }
  | { thing: true }
  | { path: true };

export interface Template {
  source: string;
  parts: TemplatePart[];
}

/** Parses a template; returns an error message when it has an unknown or unbalanced placeholder. */
export function parseTemplate(source: string): Template | string {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if ((c === "{" || c === "}") && source[i + 1] === c) {
      text += c;
      i += 2;
      continue;
    }
    if (c === "}") return `unbalanced '}' in '${source}' (write '}}' for a literal brace)`;
    if (c !== "{") {
      text += c;
      i++;
      continue;
    }
    const end = source.indexOf("}", i);
    if (end < 0) return `unclosed '{' in '${source}' (write '{{' for a literal brace)`;
    const name = source.slice(i + 1, end);
    if (text) parts.push({ text });
    text = "";
    if (name === "value") parts.push({ value: [] });
    else if (name === "json") parts.push({ json: true });
    else if (name === "thing") parts.push({ thing: true });
    else if (name === "path") parts.push({ path: true });
    else if (name.startsWith("value.")) {
      const path = parsePath(name.slice("value.".length));
      if (typeof path === "string") return `placeholder {${name}}: ${path}`;
      parts.push({ value: path });
    } else {
      return `unknown placeholder {${name}} in '${source}' (known: {value}, {value.<field>}, {json}, {thing}, {path})`;
    }
    i = end + 1;
  }
  if (text) parts.push({ text });
  return { source, parts };
}

/** Whether the template is exactly one value placeholder (so the whole argv element is the value). */
export function isWholeValue(t: Template): boolean {
  return t.parts.length === 1 && t.parts[0] !== undefined && "value" in t.parts[0];
}

export interface TemplateContext {
  value: JsonValue;
  thing: string;
  path: string;
}

function scalarText(v: JsonValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Renders one argv element, or returns an error (a missing field of the value). */
export function renderTemplate(t: Template, ctx: TemplateContext): { arg: string } | { error: string } {
  let out = "";
  for (const part of t.parts) {
    if ("text" in part) out += part.text;
    else if ("json" in part) out += JSON.stringify(ctx.value);
    else if ("thing" in part) out += ctx.thing;
    else if ("path" in part) out += ctx.path;
    else {
      const v =
        part.value.length === 0
          ? ctx.value
          : isJsonObject(ctx.value)
            ? getPath(ctx.value, part.value)
            : undefined;
      if (v === undefined) return { error: `the value has no field '${part.value.join(".")}'` };
      out += scalarText(v);
    }
  }
  // execve cannot pass a NUL byte; refusing it here gives a clear error instead of a spawn failure.
  if (out.includes("\0")) return { error: "an argument would contain a NUL byte" };
  return { arg: out };
}
