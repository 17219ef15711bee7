// How aside keys join the wrapped key and the aside type into one string.
//   v1: `$` → `$$`, `::` → `$::`, joined with `::`, split at the FIRST `::`.
//   v2: `$` → `$$`, `:` → `$:`, joined with `::`, split at the LAST `::`.
// Decoding rejects encodings that the encoder could not have produced.
import { InvalidKeyError } from "./invalid-key-error.js";
import type { Key } from "./key-types.js";

/** One version of the aside key body `<wrapped key>::<aside type>`. */
export interface AsideEncoding {
  /** The body for the string form of a wrapped key and an aside type. Never throws. */
  join(wrapped: string, asideType: string): string;
  /** The decoded halves of a body: the wrapped key's string form and the aside type. Throws InvalidKeyError about `input`. */
  split(body: string, input: string): [wrapped: string, asideType: string];
  /** Why this version cannot wrap `wrapped` (a `noun`, for the message), or undefined if it can. */
  wrapProblem(wrapped: Key, noun: string): string | undefined;
}

function replaceAll(text: string, search: string, replacement: string): string {
  return text.split(search).join(replacement);
}

/** Encodes one half of a v1 aside key. */
function encodeAsideV1(value: string): string {
  return replaceAll(replaceAll(value, "$", "$$"), "::", "$::");
}

/** Decodes one half of a v1 aside key; returns null if the text is not a valid encoding. */
function decodeAsideV1(encoded: string): string | null {
  const decoded = replaceAll(replaceAll(encoded, "$::", "::"), "$$", "$");
  return encodeAsideV1(decoded) === encoded ? decoded : null;
}

/** Encodes one half of a v2 aside key. */
function encodeAsideV2(value: string): string {
  return replaceAll(replaceAll(value, "$", "$$"), ":", "$:");
}

/** Decodes one half of a v2 aside key: `{ value }`, or `{ problem }` if the text has an unescaped `:` or `$`. */
function decodeAsideV2(encoded: string): { value: string } | { problem: string } {
  for (let index = encoded.indexOf(":"); index >= 0; index = encoded.indexOf(":", index + 1)) {
    if (index === 0 || encoded[index - 1] !== "$") return { problem: "unescaped ':'" };
  }
  const colonsDecoded = replaceAll(encoded, "$:", ":");
  // Every run of `$` must now have even length (each `$$` stands for one `$`).
  let run = 0;
  for (let index = 0; index <= colonsDecoded.length; index++) {
    if (colonsDecoded[index] === "$") {
      run += 1;
    } else {
      if (run % 2 === 1) return { problem: "unescaped '$'" };
      run = 0;
    }
  }
  return { value: replaceAll(colonsDecoded, "$$", "$") };
}

/** The two encoded halves of a v1 aside key body: split at the first `::` (the right half is "" if there is none). */
function splitAsideV1(body: string): [string, string] {
  const at = body.indexOf("::");
  return at < 0 ? [body, ""] : [body.slice(0, at), body.slice(at + 2)];
}

/** The two encoded halves of a v2 aside key body: split at the last `::` (the left half is "" if there is none). */
function splitAsideV2(body: string): [string, string] {
  const at = body.lastIndexOf("::");
  return at < 0 ? ["", body] : [body.slice(0, at), body.slice(at + 2)];
}

/**
 * The original encoding (`aside-usage-v1:`, `aside-def-v1:`), which only escapes `$` and
 * `::` and so cannot wrap keys that contain `::` or end with `:`.
 */
export const ASIDE_V1: AsideEncoding = {
  join: (wrapped, asideType) => `${encodeAsideV1(wrapped)}::${encodeAsideV1(asideType)}`,
  split(body, input) {
    const [left, right] = splitAsideV1(body);
    const wrapped = decodeAsideV1(left);
    const asideType = decodeAsideV1(right);
    if (wrapped === null || asideType === null) throw new InvalidKeyError(input, "ambiguous escaping of '$' or '::'");
    return [wrapped, asideType];
  },
  wrapProblem(wrapped, noun) {
    const text = wrapped.toString();
    return text.includes("::") || text.endsWith(":")
      ? `v1 aside keys cannot wrap a ${noun} containing '::' or ending with ':'`
      : undefined;
  },
};

/** The current encoding (`aside-usage-v2:`, `aside-def-v2:`), which escapes `$` and `:` and wraps any key. */
export const ASIDE_V2: AsideEncoding = {
  join: (wrapped, asideType) => `${encodeAsideV2(wrapped)}::${encodeAsideV2(asideType)}`,
  split(body, input) {
    const halves = splitAsideV2(body).map((half) => decodeAsideV2(half));
    for (const half of halves) if ("problem" in half) throw new InvalidKeyError(input, `bad escaping: ${half.problem}`);
    return halves.map((half) => ("value" in half ? half.value : "")) as [string, string];
  },
  wrapProblem: () => undefined,
};
