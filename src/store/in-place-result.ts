import type net from "node:net";
import type pg from "pg";
import { BytePool } from "../buffers/byte-pool.js";
import { pageSizing } from "../domain/state/index.js";
import { giveBackReads, takeOverReads } from "./read-in-place-socket.js";

// A statement's result received straight from the connection's socket into
// one pooled buffer. PostgreSQL sends a result as one message per row (a
// CopyData of a COPY, a DataRow of a query); the row messages' bodies are
// copied from the socket's chunks where they lie, so no object, string,
// buffer or stream event exists per row or per chunk. (pg-copy-streams
// concatenated each chunk's payloads into a new buffer and pushed it through
// a Readable; pg's own parser makes a row object with a string per column:
// short-lived garbage that under bulk reads made V8 run a full mark-compact
// several times a second, docs/benchmarks.md.)

/** All the rows of a result, their message bodies one after the other, in a buffer of {@link resultBuffers}. */
export interface ReceivedRows {
  readonly bytes: Buffer;
  /** Gives the buffer back for reuse; `bytes` must not be read after. */
  release(): void;
}

/** The buffers results are gathered in: as many bytes kept for reuse as the pages of all streams aim at together, none over 4 MiB. */
const resultBuffers = new BytePool(pageSizing.allPagesBytes, 4 * 1024 * 1024);

/** A message's type byte and its int32 length (which counts itself, not the type). */
const headerBytes = 5;
const errorResponseType = 0x45; // 'E'
const noBytes = Buffer.alloc(0);

/** What a receiver does with a message of some type (see {@link InPlaceResult.kindOf}). */
export type MessageKind =
  /** A row: its body is appended to the result. */
  | "row"
  /** Read past and dropped (notices, the acknowledgements of the statement's steps). */
  | "skip"
  /** The rows are over: this message, and everything after it, goes to pg's parser. */
  | "end-with"
  /** The rows are over with this message (it has no body); everything after it goes to pg's parser. */
  | "end-after";

/**
 * One statement run as a pg "submittable" query: `client.query(result)`
 * queues it, and pg calls {@link submit} when the connection is free. From
 * then until the rows are over (or an ErrorResponse) this reads the
 * connection's socket itself, in place of pg's parser, and gives everything
 * after back to that parser, so that pg sees the end of the statement
 * (CommandComplete, ReadyForQuery, or the error) as for any query and calls
 * back here. Subclasses say what to send and what each message type is.
 */
export abstract class InPlaceResult implements pg.Submittable {
  /** The rows once the statement completed; PostgreSQL's error, or the connection's, if it failed. */
  readonly rows: Promise<ReceivedRows>;
  private resolveRows!: (rows: ReceivedRows) => void;
  private rejectRows!: (error: unknown) => void;
  /** The socket while this reads it, and pg's listener of its data (null: the socket reads in place, and emits data again once given back). */
  private stream: pg.Connection["stream"] | null = null;
  private parserListener: ((chunk: Buffer) => void) | null = null;
  private buffer: Buffer = resultBuffers.take(0);
  private size = 0;
  /** The header being read: `headerFill` of its bytes so far. */
  private readonly header = Buffer.alloc(headerBytes);
  private headerFill = 0;
  /** Bytes of the current message's body not read yet, and whether they are a row's (kept) or not (skipped). */
  private bodyLeft = 0;
  private bodyKept = false;
  private settled = false;

  constructor() {
    this.rows = new Promise((resolve, reject) => {
      this.resolveRows = resolve;
      this.rejectRows = reject;
    });
  }

  /** Sends the statement on `connection` (its socket already read by this). */
  protected abstract send(connection: pg.Connection): void;

  /** What the message of type `type` (ErrorResponse aside) is to this statement. */
  protected abstract kindOf(type: number): MessageKind;

  /** Called by pg with the connection, once it is this query's turn: takes the socket's data over and sends the statement. */
  submit(connection: pg.Connection): Error | undefined {
    const { stream } = connection;
    const listeners = stream.listeners("data");
    if (listeners.length !== 1) return new Error(`reading a result in place needs the connection's socket read by pg's parser alone (it has ${listeners.length} data listeners)`);
    this.stream = stream;
    if (!takeOverReads(stream, this.read)) {
      this.parserListener = listeners[0] as (chunk: Buffer) => void;
      stream.removeListener("data", this.parserListener);
      stream.on("data", this.read);
    }
    this.send(connection);
    return undefined;
  }

  /** Reads one chunk of the socket (kept by nothing after it returns): message headers, row bodies copied to the buffer, the rest skipped. */
  private readonly read = (chunk: Buffer): void => {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const end = Math.min(chunk.length, at + this.bodyLeft);
        if (this.bodyKept) this.append(chunk, at, end);
        this.bodyLeft -= end - at;
        at = end;
        continue;
      }
      const headerStart = at;
      let type: number;
      let length: number;
      if (this.headerFill === 0 && at + headerBytes <= chunk.length) {
        // The usual case, read where it lies: a copy per message costs more than the message's work.
        type = chunk[at]!;
        length = chunk.readUInt32BE(at + 1);
        at += headerBytes;
      } else {
        const headerEnd = Math.min(chunk.length, at + headerBytes - this.headerFill);
        chunk.copy(this.header, this.headerFill, at, headerEnd);
        this.headerFill += headerEnd - at;
        at = headerEnd;
        if (this.headerFill < headerBytes) return;
        this.headerFill = 0;
        type = this.header[0]!;
        length = this.header.readUInt32BE(1);
      }
      const kind = type === errorResponseType ? "end-with" : this.kindOf(type);
      if (kind === "end-with") {
        // pg's parser reads this message whole: its header, and the body after it.
        this.giveBack(headerStart === at - headerBytes ? chunk.subarray(headerStart) : Buffer.concat([this.header, chunk.subarray(at)]));
        return;
      }
      if (kind === "end-after") {
        this.giveBack(chunk.subarray(at));
        return;
      }
      this.bodyLeft = length - 4;
      this.bodyKept = kind === "row";
    }
  };

  /** Copies `chunk` from `start` to `end` after the bytes gathered so far, in a larger pooled buffer when they do not fit. */
  private append(chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.size + length > this.buffer.length) {
      const larger = resultBuffers.take(this.size + length);
      this.buffer.copy(larger, 0, 0, this.size);
      resultBuffers.give(this.buffer);
      this.buffer = larger;
    }
    chunk.copy(this.buffer, this.size, start, end);
    this.size += length;
  }

  /** Hands the socket back to pg's parser, with `rest`, the bytes read past the rows. */
  private giveBack(rest: Buffer): void {
    const { stream, parserListener } = this;
    if (stream === null) return;
    this.stream = null;
    this.parserListener = null;
    if (parserListener === null) {
      giveBackReads(stream as net.Socket, rest);
      return;
    }
    stream.removeListener("data", this.read);
    stream.on("data", parserListener);
    if (rest.length > 0) parserListener(rest);
  }

  /** Called by pg at the statement's end: the rows are complete. */
  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    const whole = this.buffer;
    let released = false;
    this.resolveRows({
      bytes: whole.subarray(0, this.size),
      release() {
        if (released) return;
        released = true;
        resultBuffers.give(whole);
      },
    });
  }

  /** Called by pg with PostgreSQL's error (after an ErrorResponse given back) or the connection's. */
  handleError(error: unknown): void {
    this.giveBack(noBytes);
    if (this.settled) return;
    this.settled = true;
    resultBuffers.give(this.buffer);
    this.rejectRows(error);
  }

  /** Called by pg with the statement's CommandComplete; nothing to do until ReadyForQuery. */
  handleCommandComplete(): void {}
}
