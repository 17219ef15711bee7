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

/**
 * Walks a state's JSON text one byte range at a time. The offsets of a field
 * are the first byte and the byte after it, in the array scanned.
 */
class Scan {
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}

  fail(at: number): Error {
    return malformed(this.start, this.end, at);
  }

  /** The offset just after the JSON string that opens at `at`; negative (its bitwise complement) when it holds an escape. */
  skipString(at: number): number {
    const { bytes, end } = this;
    let escaped = false;
    for (let index = at + 1; index < end; index += 1) {
      const byte = bytes[index]!;
      if (byte === backslash) {
        escaped = true;
        index += 1;
      } else if (byte === quote) {
        return escaped ? ~(index + 1) : index + 1;
      }
    }
    throw this.fail(at);
  }

  /** The offset just after the JSON value that opens at `at` (no leading white space). */
  skipValue(at: number): number {
    const { bytes, end } = this;
    const first = bytes[at];
    if (first === quote) return unescapedEnd(this.skipString(at));
    if (first === openBrace || first === openBracket) {
      let depth = 0;
      for (let index = at; index < end; index += 1) {
        const byte = bytes[index]!;
        if (byte === quote) {
          index = unescapedEnd(this.skipString(index)) - 1;
        } else if (byte === openBrace || byte === openBracket) {
          depth += 1;
        } else if (byte === closeBrace || byte === closeBracket) {
          depth -= 1;
          if (depth === 0) return index + 1;
        }
      }
      throw this.fail(at);
    }
    // A number, true, false or null: up to the next separator or white space.
    let index = at;
    while (index < end) {
      const byte = bytes[index]!;
      if (byte === comma || byte === closeBrace || isSpace(byte)) break;
      index += 1;
    }
    if (index === at) throw this.fail(at);
    return index;
  }

  skipSpace(at: number): number {
    while (at < this.end && isSpace(this.bytes[at]!)) at += 1;
    return at;
  }
}

function unescapedEnd(skipped: number): number {
  return skipped < 0 ? ~skipped : skipped;
}

/**
 * Receives one field of a state's text: its name (`nameStart`..`nameEnd`,
 * inside the quotes; or `escapedName`, the unescaped name, when the name has
 * escapes) and the exact text of its value (`valueStart`..`valueEnd`), as
 * byte offsets in the array scanned.
 */
export type StateFieldVisitor = (escapedName: string | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void;

/**
 * Walks the fields of a state's JSON text, the UTF-8 bytes of `bytes` from
 * `start` to `end`: one JSON object as PostgreSQL prints a `jsonb`
 * (`{"a": 1, "b": {"c": [2]}}`), in the order of the text, without parsing
 * any value: each value is located by its bounds, so every digit and escape
 * stays as stored, and rows read as bytes go on as bytes. Throws on text that
 * is not one JSON object, which a jsonb column never holds.
 */
export function forEachStateField(bytes: Uint8Array, start: number, end: number, visit: StateFieldVisitor): void {
  const scan = new Scan(bytes, start, end);
  let index = scan.skipSpace(start);
  if (bytes[index] !== openBrace) throw scan.fail(index);
  index = scan.skipSpace(index + 1);
  if (bytes[index] === closeBrace) return;
  for (;;) {
    if (bytes[index] !== quote) throw scan.fail(index);
    const skipped = scan.skipString(index);
    const keyEnd = unescapedEnd(skipped);
    const escapedName = skipped < 0 ? (JSON.parse(decoder.decode(bytes.subarray(index, keyEnd))) as string) : null;
    const nameStart = index + 1;
    const nameEnd = keyEnd - 1;
    index = scan.skipSpace(keyEnd);
    if (bytes[index] !== colon) throw scan.fail(index);
    const valueStart = scan.skipSpace(index + 1);
    const valueEnd = scan.skipValue(valueStart);
    visit(escapedName, nameStart, nameEnd, valueStart, valueEnd);
    index = scan.skipSpace(valueEnd);
    const separator = bytes[index];
    if (separator === closeBrace) return;
    if (separator !== comma) throw scan.fail(index);
    index = scan.skipSpace(index + 1);
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
  forEachStateField(bytes, 0, bytes.length, (escapedName, nameStart, nameEnd, valueStart, valueEnd) => {
    const name = escapedName ?? bytes.toString("utf8", nameStart, nameEnd);
    const value = bytes.toString("utf8", valueStart, valueEnd);
    // A plain assignment to "__proto__" would set the prototype instead of a field.
    if (name === "__proto__") Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    else fields[name] = value;
  });
  return fields;
}
