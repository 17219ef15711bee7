import { configureTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * Makes protobuf-es decode strings exactly. By default it decodes with a
 * `TextDecoder` that drops a leading U+FEFF (byte order mark), so a key sent
 * as "\uFEFFcourse-v1:…" would arrive as a different, valid key. Call once,
 * before any message is decoded, in servers and in TypeScript clients alike.
 */
export function installExactTextEncoding(): void {
  const encoder = new TextEncoder();
  const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  const strict = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
  configureTextEncoding({
    encodeUtf8: (text) => encoder.encode(text),
    decodeUtf8: (bytes, checked) => (checked ? strict : lenient).decode(bytes),
    checkUtf8: (text) => text.isWellFormed(),
  });
}
