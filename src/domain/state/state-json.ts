import type { FieldTexts } from "./state-store.js";

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
 * Receives one field of a state's text: its name (`nameStart`..`nameEnd`,
 * inside the quotes; or `escapedName`, the unescaped name, when the name has
 * escapes) and the exact text of its value (`valueStart`..`valueEnd`).
 */
export type StateFieldVisitor = (escapedName: string | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void;

/**
 * Walks the fields of a state's JSON text, one JSON object as PostgreSQL
 * prints a `jsonb` (`{"a": 1, "b": {"c": [2]}}`), in the order of the text,
 * without parsing any value: each value is located by its bounds, so every
 * digit and escape stays as stored. Throws on text that is not one JSON
 * object, which a jsonb column never holds.
 */
export function forEachStateField(text: string, visit: StateFieldVisitor): void {
  let index = skipSpace(text, 0);
  if (text.charCodeAt(index) !== openBrace) throw malformed(text, index);
  index = skipSpace(text, index + 1);
  if (text.charCodeAt(index) === closeBrace) return;
  for (;;) {
    if (text.charCodeAt(index) !== quote) throw malformed(text, index);
    const key = skipString(text, index);
    const escapedName = key.escaped ? (JSON.parse(text.slice(index, key.end)) as string) : null;
    const nameStart = index + 1;
    const nameEnd = key.end - 1;
    index = skipSpace(text, key.end);
    if (text.charCodeAt(index) !== colon) throw malformed(text, index);
    const valueStart = skipSpace(text, index + 1);
    const valueEnd = skipValue(text, valueStart);
    visit(escapedName, nameStart, nameEnd, valueStart, valueEnd);
    index = skipSpace(text, valueEnd);
    const separator = text.charCodeAt(index);
    if (separator === closeBrace) return;
    if (separator !== comma) throw malformed(text, index);
    index = skipSpace(text, index + 1);
  }
}

/**
 * Splits a state's JSON text into its fields: name → the exact text of its
 * value, sliced, never parsed. Gives the same texts as PostgreSQL's
 * `jsonb_each(state)` with `value::text` (a property test checks it against
 * PostgreSQL). Throws as {@link forEachStateField} does.
 */
export function splitStateJson(text: string): FieldTexts {
  const fields: Record<string, string> = {};
  forEachStateField(text, (escapedName, nameStart, nameEnd, valueStart, valueEnd) => {
    const name = escapedName ?? text.slice(nameStart, nameEnd);
    const value = text.slice(valueStart, valueEnd);
    // A plain assignment to "__proto__" would set the prototype instead of a field.
    if (name === "__proto__") Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    else fields[name] = value;
  });
  return fields;
}
