// A response whose encoding was written by one of the purpose-built encoders
// carries it twice: as `$unknown` fields, which protobuf-es's toBinary copies
// out verbatim (for Connect's adapter), and here, as the message's exact wire
// bytes in pieces, which the gRPC path writes to the stream as they are: for
// a page of rows, toBinary's copy and the framing's copy were two of the four
// copies of every byte, and most of what the garbage collector swept.
const recordedWire = new WeakMap<object, readonly Uint8Array[]>();

/** Records `chunks`, in order, as the exact protobuf encoding of `message`. */
export function recordWireBytes(message: object, chunks: readonly Uint8Array[]): void {
  recordedWire.set(message, chunks);
}

/** The exact protobuf encoding of `message`, in pieces, when an encoder recorded it; undefined otherwise. */
export function wireBytesOf(message: object): readonly Uint8Array[] | undefined {
  return recordedWire.get(message);
}
