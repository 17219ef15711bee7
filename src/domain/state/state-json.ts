import type { FieldTexts } from "./state-store.js";

// Byte values the scanner looks for: all ASCII, so they never occur inside
// the UTF-8 encoding of another character.
const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function malformed(start: number, end: number, at: number): Error {
  return new Error(`stored state is not a JSON object text (at byte ${at - start} of ${end - start})`);
}

// The scanning functions below are plain functions over (bytes, offset, end)
// with no object per state: they run for every field of every row of a bulk
// read. Each returns the offset after what it skipped, or -1 when the text is
// malformed there.

/**
 * The offset just after the JSON string that opens at `at`; when the string
 * holds an escape, the bitwise complement of that offset (at most -2).
 */
function skipString(bytes: Uint8Array, at: number, end: number): number {
  let escaped = false;
  for (let index = at + 1; index < end; index += 1) {
    const byte = bytes[index]!;
    if (byte === quote) return escaped ? ~(index + 1) : index + 1;
    if (byte === backslash) {
      escaped = true;
      index += 1;
    }
  }
  return -1;
}

/** {@link skipString} without the escape mark. */
function stringEnd(skipped: number): number {
  return skipped < -1 ? ~skipped : skipped;
}

/** The offset just after the object or array that opens at `at`. */
function skipNesting(bytes: Uint8Array, at: number, end: number): number {
  let depth = 0;
  for (let index = at; index < end; index += 1) {
    const byte = bytes[index]!;
    if (byte === quote) {
      // To the string's closing quote, stepping over escaped characters.
      for (index += 1; index < end; index += 1) {
        const inner = bytes[index]!;
        if (inner === quote) break;
        if (inner === backslash) index += 1;
      }
    } else if (byte === openBrace || byte === openBracket) {
      depth += 1;
    } else if (byte === closeBrace || byte === closeBracket) {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

/** The offset just after the JSON value that opens at `at` (no leading white space). */
function skipValue(bytes: Uint8Array, at: number, end: number): number {
  const first = bytes[at];
  if (first === quote) return stringEnd(skipString(bytes, at, end));
  if (first === openBrace || first === openBracket) return skipNesting(bytes, at, end);
  // A number, true, false or null: up to the next separator or white space.
  let index = at;
  while (index < end) {
    const byte = bytes[index]!;
    if (byte === comma || byte === closeBrace || isSpace(byte)) break;
    index += 1;
  }
  return index === at ? -1 : index;
}

function skipSpace(bytes: Uint8Array, at: number, end: number): number {
  while (at < end && isSpace(bytes[at]!)) at += 1;
  return at;
}

/**
 * Receives the fields of a state's text, one call each: its name
 * (`nameStart`..`nameEnd`, inside the quotes; or `escapedName`, the unescaped
 * name, when the name has escapes) and the exact text of its value
 * (`valueStart`..`valueEnd`), as byte offsets in the array scanned.
 */
export interface StateFieldSink {
  field(escapedName: string | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void;
}

/**
 * Walks the fields of a state's JSON text, the UTF-8 bytes of `bytes` from
 * `start` to `end`: one JSON object as PostgreSQL prints a `jsonb`
 * (`{"a": 1, "b": {"c": [2]}}`), in the order of the text, without parsing
 * any value: each value is located by its bounds, so every digit and escape
 * stays as stored, and rows read as bytes go on as bytes. Throws on text that
 * is not one JSON object, which a jsonb column never holds.
 */
export function forEachStateField(bytes: Uint8Array, start: number, end: number, sink: StateFieldSink): void {
  let index = skipSpace(bytes, start, end);
  if (bytes[index] !== openBrace) throw malformed(start, end, index);
  index = skipSpace(bytes, index + 1, end);
  if (bytes[index] === closeBrace) return;
  for (;;) {
    if (bytes[index] !== quote) throw malformed(start, end, index);
    const skipped = skipString(bytes, index, end);
    if (skipped === -1) throw malformed(start, end, index);
    const keyEnd = stringEnd(skipped);
    const escapedName = skipped < -1 ? (JSON.parse(decoder.decode(bytes.subarray(index, keyEnd))) as string) : null;
    const nameStart = index + 1;
    index = skipSpace(bytes, keyEnd, end);
    if (bytes[index] !== colon) throw malformed(start, end, index);
    const valueStart = skipSpace(bytes, index + 1, end);
    const valueEnd = skipValue(bytes, valueStart, end);
    if (valueEnd === -1) throw malformed(start, end, valueStart);
    sink.field(escapedName, nameStart, keyEnd - 1, valueStart, valueEnd);
    index = skipSpace(bytes, valueEnd, end);
    const separator = bytes[index];
    if (separator === closeBrace) return;
    if (separator !== comma) throw malformed(start, end, index);
    index = skipSpace(bytes, index + 1, end);
  }
}

/**
 * Splits a state's JSON text into its fields: name → the exact text of its
 * value, sliced, never parsed. Gives the same texts as PostgreSQL's
 * `jsonb_each(state)` with `value::text` (a property test checks it against
 * PostgreSQL). Throws as {@link forEachStateField} does.
 */
export function splitStateJson(text: string): FieldTexts {
  const bytes = Buffer.from(text, "utf8");
  const fields: Record<string, string> = {};
  forEachStateField(bytes, 0, bytes.length, {
    field(escapedName, nameStart, nameEnd, valueStart, valueEnd) {
      const name = escapedName ?? bytes.toString("utf8", nameStart, nameEnd);
      const value = bytes.toString("utf8", valueStart, valueEnd);
      // A plain assignment to "__proto__" would set the prototype instead of a field.
      if (name === "__proto__") Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
      else fields[name] = value;
    },
  });
  return fields;
}
