import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";

/** A file written as a stream with back-pressure: `write` waits for "drain" while the stream's buffer is full. */
export interface FileStream {
  write(text: string): Promise<void>;
  /** Ends the stream and resolves once everything is in the file. */
  close(): Promise<void>;
}

/** Opens `path` for writing (truncating it); rejects when it cannot be opened. */
export async function openFileStream(path: string): Promise<FileStream> {
  const stream = createWriteStream(path);
  await once(stream, "open");
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, "drain");
    },
    async close() {
      stream.end();
      await finished(stream);
    },
  };
}
