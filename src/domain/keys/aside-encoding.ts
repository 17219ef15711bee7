// How aside keys join the wrapped key and the aside type into one string.
//   v1: `$` → `$$`, `::` → `$::`, joined with `::`, split at the FIRST `::`.
//   v2: `$` → `$$`, `:` → `$:`, joined with `::`, split at the LAST `::`.
// Decoding rejects encodings that the encoder could not have produced.

function replaceAll(text: string, search: string, replacement: string): string {
  return text.split(search).join(replacement);
}

/** Encodes one half of a v1 aside key. */
export function encodeAsideV1(value: string): string {
  return replaceAll(replaceAll(value, "$", "$$"), "::", "$::");
}

/** Decodes one half of a v1 aside key; returns null if the text is not a valid encoding. */
export function decodeAsideV1(encoded: string): string | null {
  const decoded = replaceAll(replaceAll(encoded, "$::", "::"), "$$", "$");
  return encodeAsideV1(decoded) === encoded ? decoded : null;
}

/** Encodes one half of a v2 aside key. */
export function encodeAsideV2(value: string): string {
  return replaceAll(replaceAll(value, "$", "$$"), ":", "$:");
}

/** Decodes one half of a v2 aside key: `{ value }`, or `{ problem }` if the text has an unescaped `:` or `$`. */
export function decodeAsideV2(encoded: string): { value: string } | { problem: string } {
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
export function splitAsideV1(body: string): [string, string] {
  const at = body.indexOf("::");
  return at < 0 ? [body, ""] : [body.slice(0, at), body.slice(at + 2)];
}

/** The two encoded halves of a v2 aside key body: split at the last `::` (the left half is "" if there is none). */
export function splitAsideV2(body: string): [string, string] {
  const at = body.lastIndexOf("::");
  return at < 0 ? ["", body] : [body.slice(0, at), body.slice(at + 2)];
}
