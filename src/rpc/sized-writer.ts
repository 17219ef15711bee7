import type { BytePool } from "../buffers/byte-pool.js";

// Protobuf wire format written into one buffer of the exact size, for the
// purpose-built encoders of the bulk responses (block-state-encoding.ts,
// transformed-block-encoding.ts).

/** 2^53: integers below it are exact as JavaScript numbers. */
export const twoTo53 = 2n ** 53n;
/** Longest ASCII string copied by a JavaScript loop rather than by Buffer.write. */
const shortText = 64;
/**
 * Longest run of bytes copied by a JavaScript loop rather than by
 * TypedArray.set, which needs a view of the source made for it. Above this
 * the view is cheaper than the loop: at 512 bytes GetMany made less garbage,
 * but the bulk reads spent 16-23 % more CPU per row (docs/benchmarks.md).
 */
const shortCopy = 64;

/** Bytes of the varint of a non-negative integer below 2^53. */
export function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let length = 5;
  for (value = Math.floor(value / 2 ** 35); value > 0; value = Math.floor(value / 128)) length += 1;
  return length;
}

/** Length of the varint of an int64, which protobuf writes as 10 bytes when negative. */
export function int64Length(value: bigint): number {
  return value < 0n ? 10 : value < twoTo53 ? varintLength(Number(value)) : varintLength(Number(value >> 21n)) + 3;
}

/** UTF-8 bytes of `text` from `start` to `end`; a lone surrogate counts 3, as it is written as U+FFFD. */
function utf8Length(text: string, start: number, end: number): number {
  let bytes = end - start;
  for (let index = start; index < end; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < end && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // the pair: 2 units, 4 bytes
      index += 1;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Writes protobuf wire format into one buffer of the exact size. A first pass
 * measures: it records every string's UTF-8 length and every nested message's
 * length, in the order they will be written, reserving a nested message's slot
 * before measuring its body. The second pass writes, replaying those lengths,
 * so no nested message is built apart and copied into its parent.
 */
export class SizedWriter {
  // Taken from (and given back to) a pool shared by every writer: encoding is
  // synchronous, and a fresh array per message was a good part of what the
  // garbage collector had to sweep per GetMany.
  private lengths = takeLengths();
  private count = 0;
  private next = 0;
  private buffer: Buffer = Buffer.alloc(0);
  // The same bytes as a plain Uint8Array: its subarray() is much cheaper than Buffer's.
  private bytes: Uint8Array = new Uint8Array(0);
  private pooled: { readonly pool: BytePool; readonly buffer: Buffer } | null = null;
  offset = 0;

  /** Records a string's UTF-8 length; returns the bytes of its tag, length and text. */
  measureString(text: string): number {
    return this.measureRange(text, 0, text.length);
  }

  /** Records the UTF-8 length of `text` from `start` to `end`; returns the bytes of its tag, length and text. */
  measureRange(text: string, start: number, end: number): number {
    const length = end - start <= shortText ? utf8Length(text, start, end) : Buffer.byteLength(text.slice(start, end), "utf8");
    this.record(length);
    return 1 + varintLength(length) + length;
  }

  /** Records the length of bytes to be written as a field; returns the bytes of its tag, length and body. */
  measureBytes(length: number): number {
    this.record(length);
    return 1 + varintLength(length) + length;
  }

  /** The UTF-8 length recorded last. */
  lastLength(): number {
    return this.lengths[this.count - 1]!;
  }

  /** Reserves the length slot of a nested message whose body is measured next. */
  reserve(): number {
    this.record(0);
    return this.count - 1;
  }

  private record(length: number): void {
    if (this.count === this.lengths.length) {
      const larger = new Uint32Array(this.lengths.length * 2);
      larger.set(this.lengths);
      this.lengths = larger;
    }
    this.lengths[this.count++] = length;
  }

  /** Fills a reserved slot; returns the bytes of the nested message's tag, length and body. */
  fill(slot: number, bodyLength: number): number {
    this.lengths[slot] = bodyLength;
    return 1 + varintLength(bodyLength) + bodyLength;
  }

  /**
   * Starts writing `totalLength` bytes, the sum of what was measured, into a
   * buffer of `pool` (when given; see {@link release}) or a new one.
   */
  start(totalLength: number, pool: BytePool | null = null): void {
    this.pooled = pool === null ? null : { pool, buffer: pool.take(totalLength) };
    this.buffer = this.pooled === null ? Buffer.allocUnsafe(totalLength) : this.pooled.buffer.subarray(0, totalLength);
    this.bytes = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, totalLength);
    this.offset = 0;
    this.next = 0;
  }

  byte(value: number): void {
    this.bytes[this.offset++] = value;
  }

  varint(value: number): void {
    const { bytes } = this;
    while (value > 0x7fffffff) {
      bytes[this.offset++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    while (value > 0x7f) {
      bytes[this.offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    bytes[this.offset++] = value;
  }

  int64(value: bigint): void {
    if (value >= 0n && value < twoTo53) {
      this.varint(Number(value));
      return;
    }
    let rest = BigInt.asUintN(64, value);
    while (rest > 0x7fn) {
      this.bytes[this.offset++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.offset++] = Number(rest);
  }

  /** Writes a tag, the recorded length and the string's UTF-8 bytes; returns the offset after the tag. */
  string(tag: number, text: string): number {
    return this.range(tag, text, 0, text.length);
  }

  /** {@link string} for `text` from `start` to `end`. */
  range(tag: number, text: string, start: number, end: number): number {
    const length = this.lengths[this.next++]!;
    this.byte(tag);
    const afterTag = this.offset;
    this.varint(length);
    if (length === end - start && length <= shortText) {
      // ASCII (as many bytes as UTF-16 units means no unit above 0x7f): for
      // the short strings of a state, a loop is cheaper than a call into C++.
      for (let index = 0; index < length; index += 1) this.bytes[this.offset + index] = text.charCodeAt(start + index);
      this.offset += length;
    } else {
      this.offset += this.buffer.write(start === 0 && end === text.length ? text : text.slice(start, end), this.offset);
    }
    return afterTag;
  }

  /** Writes a tag, the recorded length and `source` from `start` to `end` (see {@link measureBytes}); returns the offset after the tag. */
  bytesField(tag: number, source: Uint8Array, start: number, end: number): number {
    this.byte(tag);
    const afterTag = this.offset;
    this.varint(this.lengths[this.next++]!);
    this.copy(source, start, end);
    return afterTag;
  }

  /** The buffer being written, for a caller that writes {@link advance}'s bytes itself. */
  get target(): Uint8Array {
    return this.bytes;
  }

  /** Moves past `length` bytes the caller writes itself into {@link target}; returns where they start. */
  advance(length: number): number {
    const start = this.offset;
    this.offset += length;
    return start;
  }

  /** Writes a tag and `length`, a length the caller counted itself (none was recorded for it). */
  tagAndLength(tag: number, length: number): void {
    this.byte(tag);
    this.varint(length);
  }

  /**
   * Copies `source` from `start` to `end`. `source` should be a plain
   * Uint8Array: a Buffer's subarray() builds a Buffer, at several times the
   * cost, for every long field.
   */
  copy(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length <= shortCopy) {
      const { bytes, offset } = this;
      for (let index = 0; index < length; index += 1) bytes[offset + index] = source[start + index]!;
    } else {
      this.bytes.set(source.subarray(start, end), this.offset);
    }
    this.offset += length;
  }

  /** Writes a tag and the recorded length of the nested message that follows; returns the offset after the tag. */
  nested(tag: number): number {
    this.byte(tag);
    const afterTag = this.offset;
    this.varint(this.lengths[this.next++]!);
    return afterTag;
  }

  /** The bytes from `start` to the current offset, without copying. */
  slice(start: number): Uint8Array {
    return this.bytes.subarray(start, this.offset);
  }

  /**
   * What gives the written bytes' buffer back to the pool it came from (see
   * {@link start}; nothing for a buffer of its own): once called, nothing may
   * read the bytes.
   */
  release(): () => void {
    const { pooled } = this;
    if (pooled === null) return () => undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      pooled.pool.give(pooled.buffer);
    };
  }

  /** Checks that the writes filled the buffer exactly as measured, and gives the writer's scratch space back; the writer is not used after. */
  finish(): void {
    if (this.offset !== this.buffer.length) throw new Error(`encoded ${this.offset} bytes into a buffer of ${this.buffer.length}`);
    giveBackLengths(this.lengths);
  }
}

/** Length arrays of finished writers, for the next ones. */
const spareLengths: Uint32Array[] = [];

function takeLengths(): Uint32Array {
  return spareLengths.pop() ?? new Uint32Array(1024);
}

function giveBackLengths(lengths: Uint32Array): void {
  // A few arrays cover the writers alive at once; the largest are not kept.
  if (spareLengths.length < 4 && lengths.length <= 1 << 20) spareLengths.push(lengths);
}
