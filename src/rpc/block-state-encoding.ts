import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { forEachStateField, type StoredState } from "../domain/state/index.js";

// Protobuf wire tags (field number << 3 | wire type 2, length-delimited, or 0, varint).
const tagRepeatedBlockState = 0x0a; // GetManyResponse, IterAll*Response field 1
const tagResumeToken = 0x12; // IterAll*Response field 2
const tagUsername = 0x0a; // BlockState field 1
const tagBlockKey = 0x12; // BlockState field 2
const tagFieldEntry = 0x1a; // BlockState field 3, one map entry each
const tagUpdateTime = 0x22; // BlockState field 4
const tagEntryKey = 0x0a; // map entry field 1
const tagEntryValue = 0x12; // map entry field 2
const tagSeconds = 0x08; // google.protobuf.Timestamp field 1
const tagNanos = 0x10; // google.protobuf.Timestamp field 2

const twoTo53 = 2n ** 53n;
/** Longest ASCII string copied by a JavaScript loop rather than by Buffer.write. */
const shortText = 64;

/** Bytes of the varint of a non-negative integer below 2^53. */
function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let length = 5;
  for (value = Math.floor(value / 2 ** 35); value > 0; value = Math.floor(value / 128)) length += 1;
  return length;
}

/** Length of the varint of an int64, which protobuf writes as 10 bytes when negative. */
function int64Length(value: bigint): number {
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
class SizedWriter {
  private lengths = new Uint32Array(1024);
  private count = 0;
  private next = 0;
  private buffer: Buffer = Buffer.alloc(0);
  // The same bytes as a plain Uint8Array: its subarray() is much cheaper than Buffer's.
  private bytes: Uint8Array = new Uint8Array(0);
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

  start(totalLength: number): void {
    this.buffer = Buffer.allocUnsafe(totalLength);
    this.bytes = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, totalLength);
    this.offset = 0;
    this.next = 0;
  }

  byte(value: number): void {
    this.buffer[this.offset++] = value;
  }

  varint(value: number): void {
    while (value > 0x7fffffff) {
      this.buffer[this.offset++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    while (value > 0x7f) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.offset++] = value;
  }

  int64(value: bigint): void {
    if (value >= 0n && value < twoTo53) {
      this.varint(Number(value));
      return;
    }
    let rest = BigInt.asUintN(64, value);
    while (rest > 0x7fn) {
      this.buffer[this.offset++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.offset++] = Number(rest);
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
      for (let index = 0; index < length; index += 1) this.buffer[this.offset + index] = text.charCodeAt(start + index);
      this.offset += length;
    } else {
      this.offset += this.buffer.write(start === 0 && end === text.length ? text : text.slice(start, end), this.offset);
    }
    return afterTag;
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

  /** Checks that the writes filled the buffer exactly as measured. */
  finish(): void {
    if (this.offset !== this.buffer.length) throw new Error(`encoded ${this.offset} bytes into a buffer of ${this.buffer.length}`);
  }
}

const million = 1_000_000;
const millionBig = 1_000_000n;

/** The seconds of a timestamp for microseconds since the epoch (rounded down, as Timestamp requires non-negative nanos). */
function secondsOf(micros: bigint): bigint {
  const remainder = ((micros % millionBig) + millionBig) % millionBig;
  return (micros - remainder) / millionBig;
}

/** The nanos of a timestamp for microseconds since the epoch: 0 to 999,999,000. */
function nanosOf(micros: bigint): number {
  return Number(((micros % millionBig) + millionBig) % millionBig) * 1000;
}

/** Bytes of a Timestamp's body: seconds and nanos, each left out when 0. */
function timestampLength(micros: bigint): number {
  if (micros >= 0n && micros < twoTo53) {
    const value = Number(micros);
    const seconds = Math.floor(value / million);
    const nanos = (value - seconds * million) * 1000;
    return (seconds === 0 ? 0 : 1 + varintLength(seconds)) + (nanos === 0 ? 0 : 1 + varintLength(nanos));
  }
  const seconds = secondsOf(micros);
  const nanos = nanosOf(micros);
  return (seconds === 0n ? 0 : 1 + int64Length(seconds)) + (nanos === 0 ? 0 : 1 + varintLength(nanos));
}

function writeTimestamp(writer: SizedWriter, micros: bigint): void {
  writer.nested(tagUpdateTime);
  if (micros >= 0n && micros < twoTo53) {
    const value = Number(micros);
    const seconds = Math.floor(value / million);
    const nanos = (value - seconds * million) * 1000;
    if (seconds !== 0) {
      writer.byte(tagSeconds);
      writer.varint(seconds);
    }
    if (nanos !== 0) {
      writer.byte(tagNanos);
      writer.varint(nanos);
    }
    return;
  }
  const seconds = secondsOf(micros);
  const nanos = nanosOf(micros);
  if (seconds !== 0n) {
    writer.byte(tagSeconds);
    writer.int64(seconds);
  }
  if (nanos !== 0) {
    writer.byte(tagNanos);
    writer.varint(nanos);
  }
}

/**
 * The bounds of every field of the states being encoded, found once while
 * measuring (by scanning each state's JSON text) and replayed while writing:
 * four offsets per field in one growing typed array, and the unescaped name
 * of the rare field whose name has escapes.
 */
class FieldBounds {
  offsets = new Int32Array(4096);
  count = 0;
  readonly escapedNames = new Map<number, string>();
  readonly fieldsPerState: number[] = [];
  next = 0;

  add(escapedName: string | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    const at = this.count * 4;
    if (at + 4 > this.offsets.length) {
      const larger = new Int32Array(this.offsets.length * 2);
      larger.set(this.offsets);
      this.offsets = larger;
    }
    this.offsets[at] = nameStart;
    this.offsets[at + 1] = nameEnd;
    this.offsets[at + 2] = valueStart;
    this.offsets[at + 3] = valueEnd;
    if (escapedName !== null) this.escapedNames.set(this.count, escapedName);
    this.count += 1;
  }
}

/** Measures one state and returns its body's length; records its fields in `bounds` and its values' UTF-8 bytes in `valueBytes`. */
function measureState(writer: SizedWriter, bounds: FieldBounds, valueBytes: number[], state: StoredState): number {
  let length = 0;
  let stateValueBytes = 0;
  if (state.username !== "") length += writer.measureString(state.username);
  if (state.usageKey !== "") length += writer.measureString(state.usageKey);
  const text = state.stateJson;
  const first = bounds.count;
  forEachStateField(text, (escapedName, nameStart, nameEnd, valueStart, valueEnd) => {
    const slot = writer.reserve();
    const name = escapedName === null ? writer.measureRange(text, nameStart, nameEnd) : writer.measureString(escapedName);
    const value = writer.measureRange(text, valueStart, valueEnd);
    stateValueBytes += writer.lastLength();
    length += writer.fill(slot, name + value);
    bounds.add(escapedName, nameStart, nameEnd, valueStart, valueEnd);
  });
  bounds.fieldsPerState.push(bounds.count - first);
  valueBytes.push(stateValueBytes);
  return length + writer.fill(writer.reserve(), timestampLength(state.modified));
}

function writeState(writer: SizedWriter, bounds: FieldBounds, fieldCount: number, state: StoredState): void {
  if (state.username !== "") writer.string(tagUsername, state.username);
  if (state.usageKey !== "") writer.string(tagBlockKey, state.usageKey);
  const text = state.stateJson;
  const { offsets } = bounds;
  for (let field = 0; field < fieldCount; field += 1) {
    const index = bounds.next++;
    const at = index * 4;
    writer.nested(tagFieldEntry);
    const escapedName = bounds.escapedNames.get(index);
    if (escapedName === undefined) writer.range(tagEntryKey, text, offsets[at]!, offsets[at + 1]!);
    else writer.string(tagEntryKey, escapedName);
    writer.range(tagEntryValue, text, offsets[at + 2]!, offsets[at + 3]!);
  }
  writeTimestamp(writer, state.modified);
}

/** What {@link encodeStoredStates} returns. */
export interface EncodedStates {
  /** Every state as an encoded `block_states` field (tag, length, BlockState), one after the other. */
  readonly bytes: Uint8Array;
  /** The offset in `bytes` after each state. */
  readonly ends: readonly number[];
  /** UTF-8 bytes of each state's field values, for metrics. */
  readonly valueBytes: readonly number[];
}

/**
 * The `repeated BlockState block_states = 1` of GetManyResponse and the
 * IterAll*Response messages, written straight from stored states: each
 * state's JSON text is scanned once for its fields' bounds, and names and
 * values are copied from it into one buffer of the exact size (two passes:
 * measure, then write), without building a field object or a BlockState
 * message. Map entries follow the order of the stored text. Any run of
 * consecutive states is one slice of `bytes` (see {@link blockStatesField}),
 * so a caller may split the states over several messages.
 */
export function encodeStoredStates(states: readonly StoredState[]): EncodedStates {
  const writer = new SizedWriter();
  const bounds = new FieldBounds();
  const valueBytes: number[] = [];
  let total = 0;
  for (const state of states) {
    const slot = writer.reserve();
    total += writer.fill(slot, measureState(writer, bounds, valueBytes, state));
  }
  writer.start(total);
  const ends = states.map((state, index) => {
    writer.nested(tagRepeatedBlockState);
    writeState(writer, bounds, bounds.fieldsPerState[index]!, state);
    return writer.offset;
  });
  const bytes = writer.slice(0);
  writer.finish();
  return { bytes, ends, valueBytes };
}

/**
 * The states `first` to `last` (inclusive) of `encoded` as one unknown field,
 * to be set as (the start of) the `$unknown` of an otherwise empty message:
 * protobuf-es's `toBinary` writes an unknown field as its tag and its data
 * verbatim, and the data here is everything after the first state's tag, so
 * the message on the wire carries exactly those BlockStates.
 */
export function blockStatesField(encoded: EncodedStates, first: number, last: number): UnknownField {
  const start = first === 0 ? 0 : encoded.ends[first - 1]!;
  return { no: 1, wireType: WireType.LengthDelimited, data: encoded.bytes.subarray(start + 1, encoded.ends[last]!) };
}

/**
 * The `string resume_token = 2` of an IterAll*Response as unknown fields, to
 * follow the states' (see {@link encodeStoredStates}); none for "", which
 * protobuf does not write.
 */
export function encodeResumeTokenField(resumeToken: string): UnknownField[] {
  if (resumeToken === "") return [];
  const writer = new SizedWriter();
  writer.start(writer.measureString(resumeToken));
  const start = writer.string(tagResumeToken, resumeToken);
  writer.finish();
  return [{ no: 2, wireType: WireType.LengthDelimited, data: writer.slice(start) }];
}
