import { configureTextEncoding } from "@bufbuild/protobuf/wire";

/** Strings up to this many UTF-16 units are tried as ASCII first. */
const shortString = 128;

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
  // Most strings of a message are short ASCII (keys, names): copied in a
  // loop they cost a sixth of a call into the TextEncoder.
  const encodeUtf8 = (text: string): Uint8Array<ArrayBuffer> => {
    const length = text.length;
    if (length > shortString) return encoder.encode(text);
    const bytes = new Uint8Array(length);
    for (let index = 0; index < length; index += 1) {
      const code = text.charCodeAt(index);
      if (code >= 0x80) return encoder.encode(text);
      bytes[index] = code;
    }
    return bytes;
  };
  configureTextEncoding({
    encodeUtf8,
    decodeUtf8: (bytes, checked) => (checked ? strict : lenient).decode(bytes),
    checkUtf8: (text) => text.isWellFormed(),
  });
}
