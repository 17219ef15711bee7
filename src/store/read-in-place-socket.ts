import net from "node:net";

// Sockets to PostgreSQL that read into one buffer of their own, reused for
// every read (node:net's `onread`), instead of a new buffer per read. A
// connection reading a COPY receives tens of megabytes a second, and every
// buffer of a read stays allocated until V8's next collection: with the heap
// kept small, that made V8 run a full mark-compact several times a second
// (docs/benchmarks.md). While a reader has taken a socket over (a COPY out,
// copy-out.ts) it is handed each read in place; otherwise each read is copied
// into a buffer of its exact size and emitted as `data`, for pg's parser,
// which keeps what it has not parsed yet.

/** Bytes read at most per read: what Node reads into a fresh buffer otherwise. */
const readBytes = 64 * 1024;

/** Called with the bytes of one read, which it may only read before it returns: the buffer is read into again after. */
export type InPlaceReader = (bytes: Buffer) => void;

const readers = new WeakMap<net.Socket, InPlaceReader | null>();

/** A socket (not yet connected) for pg's `stream` setting, whose reads can be taken over with {@link takeOverReads}. */
export function createReadInPlaceSocket(): net.Socket {
  const onread: net.OnReadOpts = {
    buffer: Buffer.allocUnsafeSlow(readBytes),
    callback(length, buffer) {
      const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, length);
      const reader = readers.get(socket);
      if (reader) reader(bytes);
      else socket.emit("data", Buffer.from(bytes));
      return true;
    },
  };
  // The constructor takes `onread` as net.connect() does; Node's types list it for connect() only.
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = { onread };
  const socket = new net.Socket(options);
  readers.set(socket, null);
  return socket;
}

/**
 * Sends `socket`'s reads to `reader` instead of its `data` listeners, until
 * {@link giveBackReads}. False, and nothing changes, when `socket` does not
 * read in place (a socket of another kind, or TLS over it).
 */
export function takeOverReads(socket: object, reader: InPlaceReader): boolean {
  if (!(socket instanceof net.Socket) || readers.get(socket) !== null) return false;
  readers.set(socket, reader);
  return true;
}

/** Ends {@link takeOverReads}: reads are emitted as `data` again, starting with `rest` (copied), the bytes the reader read past its own. */
export function giveBackReads(socket: net.Socket, rest: Buffer): void {
  readers.set(socket, null);
  if (rest.length > 0) socket.emit("data", Buffer.from(rest));
}
