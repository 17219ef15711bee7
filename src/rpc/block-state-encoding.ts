import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { BlockState } from "../../gen/learnerstate/v1/user_state_pb.js";

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
const utf8Length = (text: string) => Buffer.byteLength(text, "utf8");

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

/**
 * Whether this encoder writes everything of `state`: not when it carries
 * unknown fields, or nanos outside a Timestamp's 0..999,999,999.
 */
function encodable(state: BlockState): boolean {
  if (state.$unknown !== undefined && state.$unknown.length > 0) return false;
  const time = state.updateTime;
  if (time === undefined) return true;
  return (time.$unknown === undefined || time.$unknown.length === 0) && Number.isInteger(time.nanos) && time.nanos >= 0 && time.nanos <= 999_999_999;
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
    const length = utf8Length(text);
    this.record(length);
    return 1 + varintLength(length) + length;
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
    const length = this.lengths[this.next++]!;
    this.byte(tag);
    const afterTag = this.offset;
    this.varint(length);
    if (length === text.length && length <= shortText) {
      // ASCII (as many bytes as UTF-16 units means no unit above 0x7f): for
      // the short strings of a state, a loop is cheaper than a call into C++.
      for (let index = 0; index < length; index += 1) this.buffer[this.offset + index] = text.charCodeAt(index);
      this.offset += length;
    } else {
      this.offset += this.buffer.write(text, this.offset);
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

function measureBlockState(writer: SizedWriter, state: BlockState): number {
  let length = 0;
  if (state.username !== "") length += writer.measureString(state.username);
  if (state.blockKey !== "") length += writer.measureString(state.blockKey);
  for (const name in state.fields) {
    const slot = writer.reserve();
    length += writer.fill(slot, writer.measureString(name) + writer.measureString(state.fields[name]!));
  }
  const time = state.updateTime;
  if (time !== undefined) {
    const seconds = time.seconds === 0n ? 0 : 1 + int64Length(time.seconds);
    const nanos = time.nanos === 0 ? 0 : 1 + varintLength(time.nanos);
    length += writer.fill(writer.reserve(), seconds + nanos);
  }
  return length;
}

function writeBlockState(writer: SizedWriter, state: BlockState): void {
  if (state.username !== "") writer.string(tagUsername, state.username);
  if (state.blockKey !== "") writer.string(tagBlockKey, state.blockKey);
  for (const name in state.fields) {
    writer.nested(tagFieldEntry);
    writer.string(tagEntryKey, name);
    writer.string(tagEntryValue, state.fields[name]!);
  }
  const time = state.updateTime;
  if (time !== undefined) {
    writer.nested(tagUpdateTime);
    if (time.seconds !== 0n) {
      writer.byte(tagSeconds);
      writer.int64(time.seconds);
    }
    if (time.nanos !== 0) {
      writer.byte(tagNanos);
      writer.varint(time.nanos);
    }
  }
}

/**
 * The `repeated BlockState block_states = 1` of GetManyResponse and the
 * IterAll*Response messages, one unknown field per state in order, to be set
 * as the `$unknown` of an otherwise empty message: protobuf-es's `toBinary`
 * writes unknown fields verbatim, after the (absent) known ones, so the bytes
 * on the wire are exactly those it would write for the full message: map
 * entries in the object's key order, lone surrogates as U+FFFD. The
 * difference is cost: one buffer, two passes, no copy per nested message.
 * One field per state lets a caller split states over several messages.
 * Returns null when a state holds anything this encoder does not write
 * (unknown fields, nanos outside 0..999,999,999), so the caller builds a
 * plain message instead.
 */
export function encodeBlockStateFields(states: readonly BlockState[]): UnknownField[] | null {
  if (!states.every(encodable)) return null;
  const writer = new SizedWriter();
  let total = 0;
  for (const state of states) {
    const slot = writer.reserve();
    total += writer.fill(slot, measureBlockState(writer, state));
  }
  writer.start(total);
  // An unknown field's data is everything after its tag: the length and the body.
  const fields = states.map((state): UnknownField => {
    const start = writer.nested(tagRepeatedBlockState);
    writeBlockState(writer, state);
    return { no: 1, wireType: WireType.LengthDelimited, data: writer.slice(start) };
  });
  writer.finish();
  return fields;
}

/**
 * The `string resume_token = 2` of an IterAll*Response as unknown fields, to
 * follow the states' (see {@link encodeBlockStateFields}); none for "", which
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
