import type net from "node:net";
import type pg from "pg";
import { BytePool } from "../buffers/byte-pool.js";
import { pageSizing } from "../domain/state/index.js";
import { giveBackReads, takeOverReads } from "./read-in-place-socket.js";

// A `COPY … TO STDOUT` received straight from the connection's socket into
// one pooled buffer. PostgreSQL sends a COPY as one CopyData message per row;
// the payloads are copied from the socket's chunks where they lie, so no
// object, buffer or stream event exists per row or per chunk. (pg-copy-streams
// concatenated each chunk's payloads into a new buffer and pushed it through
// a Readable: as many bytes of short-lived buffers again as the socket read,
// which V8 frees only at its next collection, and which under a COPY made it
// run a full mark-compact several times a second; docs/benchmarks.md.)

/** All a COPY wrote, in a buffer of {@link copyBuffers}. */
export interface CopyOutput {
  readonly bytes: Buffer;
  /** Gives the buffer back for reuse; `bytes` must not be read after. */
  release(): void;
}

/** The buffers COPY output is gathered in: as many bytes kept for reuse as the pages of all streams aim at together, none over 4 MiB. */
const copyBuffers = new BytePool(pageSizing.allPagesBytes, 4 * 1024 * 1024);

// Backend message types (PostgreSQL's frontend/backend protocol).
const copyDataType = 0x64; // 'd'
const copyDoneType = 0x63; // 'c'
const errorResponseType = 0x45; // 'E'
/** A message's type byte and its int32 length (which counts itself, not the type). */
const headerBytes = 5;

/**
 * One COPY out, run as a pg "submittable" query: `client.query(copy)` queues
 * it, and pg calls {@link submit} when the connection is free. From then until
 * CopyDone (or an ErrorResponse) this reads the connection's socket itself,
 * in place of pg's parser, and gives everything after back to that parser, so
 * that pg sees the end of the statement (CommandComplete, ReadyForQuery, or
 * the error) as for any query and calls back here. Notices and other
 * asynchronous messages that arrive during the COPY are dropped.
 */
export class CopyOut implements pg.Submittable {
  /** All the COPY wrote once the statement completed; PostgreSQL's error, or the connection's, if it failed. */
  readonly output: Promise<CopyOutput>;
  private resolveOutput!: (output: CopyOutput) => void;
  private rejectOutput!: (error: unknown) => void;
  /** The socket while this reads it, and pg's listener of its data (null: the socket reads in place, and emits data again once given back). */
  private stream: pg.Connection["stream"] | null = null;
  private parserListener: ((chunk: Buffer) => void) | null = null;
  private buffer: Buffer = copyBuffers.take(0);
  private size = 0;
  /** The header being read: `headerFill` of its bytes so far. */
  private readonly header = Buffer.alloc(headerBytes);
  private headerFill = 0;
  /** Bytes of the current message's body not read yet, and whether they are CopyData (kept) or not (skipped). */
  private bodyLeft = 0;
  private bodyKept = false;
  private settled = false;

  constructor(private readonly text: string) {
    this.output = new Promise((resolve, reject) => {
      this.resolveOutput = resolve;
      this.rejectOutput = reject;
    });
  }

  /** Called by pg with the connection, once it is this query's turn: takes the socket's data over and sends the statement. */
  submit(connection: pg.Connection): Error | undefined {
    const { stream } = connection;
    const listeners = stream.listeners("data");
    if (listeners.length !== 1) return new Error(`a COPY out needs the connection's socket read by pg's parser alone (it has ${listeners.length} data listeners)`);
    this.stream = stream;
    if (!takeOverReads(stream, this.read)) {
      this.parserListener = listeners[0] as (chunk: Buffer) => void;
      stream.removeListener("data", this.parserListener);
      stream.on("data", this.read);
    }
    connection.query(this.text);
    return undefined;
  }

  /** Reads one chunk of the socket (kept by nothing after it returns): message headers, CopyData bodies copied to the buffer, the rest skipped. */
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
      const headerEnd = Math.min(chunk.length, at + headerBytes - this.headerFill);
      chunk.copy(this.header, this.headerFill, at, headerEnd);
      this.headerFill += headerEnd - at;
      at = headerEnd;
      if (this.headerFill < headerBytes) return;
      this.headerFill = 0;
      const type = this.header[0]!;
      if (type === errorResponseType) {
        this.giveBack(Buffer.concat([this.header, chunk.subarray(at)]));
        return;
      }
      this.bodyLeft = this.header.readUInt32BE(1) - 4;
      this.bodyKept = type === copyDataType;
      if (type === copyDoneType) {
        // CopyDone has no body; CommandComplete and ReadyForQuery follow, for pg.
        this.giveBack(chunk.subarray(at));
        return;
      }
    }
  };

  /** Copies `chunk` from `start` to `end` after the bytes gathered so far, in a larger pooled buffer when they do not fit. */
  private append(chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.size + length > this.buffer.length) {
      const larger = copyBuffers.take(this.size + length);
      this.buffer.copy(larger, 0, 0, this.size);
      copyBuffers.give(this.buffer);
      this.buffer = larger;
    }
    chunk.copy(this.buffer, this.size, start, end);
    this.size += length;
  }

  /** Hands the socket back to pg's parser, with `rest`, the bytes read past the COPY's data. */
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

  /** Called by pg at the statement's end: the COPY is complete. */
  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    const whole = this.buffer;
    let released = false;
    this.resolveOutput({
      bytes: whole.subarray(0, this.size),
      release() {
        if (released) return;
        released = true;
        copyBuffers.give(whole);
      },
    });
  }

  /** Called by pg with PostgreSQL's error (after an ErrorResponse given back) or the connection's. */
  handleError(error: unknown): void {
    this.giveBack(Buffer.alloc(0));
    if (this.settled) return;
    this.settled = true;
    copyBuffers.give(this.buffer);
    this.rejectOutput(error);
  }

  /** Called by pg with the COPY's CommandComplete; nothing to do until ReadyForQuery. */
  handleCommandComplete(): void {}
}
