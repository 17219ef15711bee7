// A response whose encoding was written by one of the purpose-built encoders
// carries it twice: as `$unknown` fields, which protobuf-es's toBinary copies
// out verbatim (for Connect's adapter), and here, as the message's exact wire
// bytes in pieces, which the gRPC path writes to the stream as they are: for
// a page of rows, toBinary's copy and the framing's copy were two of the four
// copies of every byte, and most of what the garbage collector swept.
const recordedWire = new WeakMap<object, WireBytes>();

/** A message's exact protobuf encoding, recorded by the encoder that wrote it. */
export interface WireBytes {
  /** The encoding, in pieces, in order. */
  readonly chunks: readonly Uint8Array[];
  /**
   * To be called once the pieces have been written out (or copied) and are
   * no longer read: the encoder may then reuse their buffer. Never called
   * when the message goes out another way; the buffer is then collected.
   */
  readonly written: () => void;
}

/** Records `chunks`, in order, as the exact protobuf encoding of `message` (see {@link WireBytes}). */
export function recordWireBytes(message: object, chunks: readonly Uint8Array[], written: () => void): void {
  recordedWire.set(message, { chunks, written });
}

/** The exact protobuf encoding of `message`, when an encoder recorded it; undefined otherwise. */
export function wireBytesOf(message: object): WireBytes | undefined {
  return recordedWire.get(message);
}

/** A function that calls `then` on its `count`-th call (the messages cut from one encoded page share its buffer). */
export function onLastOf(count: number, then: () => void): () => void {
  let left = count;
  return () => {
    left -= 1;
    if (left === 0) then();
  };
}
