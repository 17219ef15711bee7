import type { FieldTexts } from "../domain/state/index.js";

// Character codes the scanner looks for.
const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

function malformed(text: string, at: number): Error {
  return new Error(`stored state is not a JSON object text (at offset ${at} of ${text.length})`);
}

/** The offset just after the JSON string that opens at `start`; whether it holds an escape. */
function skipString(text: string, start: number): { end: number; escaped: boolean } {
  let escaped = false;
  for (let index = start + 1; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === backslash) {
      escaped = true;
      index += 1;
    } else if (code === quote) {
      return { end: index + 1, escaped };
    }
  }
  throw malformed(text, start);
}

/** The offset just after the JSON value that opens at `start` (no leading white space). */
function skipValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === quote) return skipString(text, start).end;
  if (first === openBrace || first === openBracket) {
    let depth = 0;
    for (let index = start; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code === quote) {
        index = skipString(text, index).end - 1;
      } else if (code === openBrace || code === openBracket) {
        depth += 1;
      } else if (code === closeBrace || code === closeBracket) {
        depth -= 1;
        if (depth === 0) return index + 1;
      }
    }
    throw malformed(text, start);
  }
  // A number, true, false or null: up to the next separator or white space.
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === comma || code === closeBrace || isSpace(code)) break;
    index += 1;
  }
  if (index === start) throw malformed(text, start);
  return index;
}

function skipSpace(text: string, index: number): number {
  while (index < text.length && isSpace(text.charCodeAt(index))) index += 1;
  return index;
}

/**
 * Splits the text of a stored state, one JSON object as PostgreSQL prints a
 * `jsonb` (`{"a": 1, "b": {"c": [2]}}`), into its fields: name → the exact
 * text of its value, sliced from `text` and never parsed, so every digit and
 * escape stays as stored. Gives the same texts as PostgreSQL's
 * `jsonb_each(state)` with `value::text` (a property test checks it against
 * PostgreSQL). Names with escapes are unescaped. Throws on text that is not
 * one JSON object, which a jsonb column never holds.
 */
export function splitStateText(text: string): FieldTexts {
  const fields: Record<string, string> = {};
  let index = skipSpace(text, 0);
  if (text.charCodeAt(index) !== openBrace) throw malformed(text, index);
  index = skipSpace(text, index + 1);
  if (text.charCodeAt(index) === closeBrace) return fields;
  for (;;) {
    if (text.charCodeAt(index) !== quote) throw malformed(text, index);
    const key = skipString(text, index);
    const name = key.escaped ? (JSON.parse(text.slice(index, key.end)) as string) : text.slice(index + 1, key.end - 1);
    index = skipSpace(text, key.end);
    if (text.charCodeAt(index) !== colon) throw malformed(text, index);
    const valueStart = skipSpace(text, index + 1);
    const valueEnd = skipValue(text, valueStart);
    const value = text.slice(valueStart, valueEnd);
    // A plain assignment to "__proto__" would set the prototype instead of a field.
    if (name === "__proto__") Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    else fields[name] = value;
    index = skipSpace(text, valueEnd);
    const separator = text.charCodeAt(index);
    if (separator === closeBrace) return fields;
    if (separator !== comma) throw malformed(text, index);
    index = skipSpace(text, index + 1);
  }
}
