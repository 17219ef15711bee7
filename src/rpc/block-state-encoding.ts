import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { forEachStateField, type StoredState } from "../domain/state/index.js";
import { int64Length, SizedWriter, twoTo53, varintLength } from "./sized-writer.js";

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

const million = 1_000_000;

/** A timestamp's seconds and nanos for microseconds since the epoch (nanos never negative, as Timestamp requires). */
function secondsAndNanos(micros: bigint): { seconds: bigint; nanos: number } {
  if (micros >= 0n && micros < twoTo53) {
    const value = Number(micros);
    const seconds = Math.floor(value / million);
    return { seconds: BigInt(seconds), nanos: (value - seconds * million) * 1000 };
  }
  const remainder = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return { seconds: (micros - remainder) / 1_000_000n, nanos: Number(remainder) * 1000 };
}

/**
 * The bounds of every field of the states being encoded, found once while
 * measuring (by scanning each state's JSON text) and replayed while writing:
 * four offsets per field, and its unescaped name when the text's has escapes.
 */
class FieldBounds {
  offsets: number[] = [];
  escapedNames: Array<string | null> = [];
  counts: number[] = [];
  private nextOffset = 0;
  private nextField = 0;

  take(): { escapedName: string | null; nameStart: number; nameEnd: number; valueStart: number; valueEnd: number } {
    const at = this.nextOffset;
    this.nextOffset += 4;
    return {
      escapedName: this.escapedNames[this.nextField++]!,
      nameStart: this.offsets[at]!,
      nameEnd: this.offsets[at + 1]!,
      valueStart: this.offsets[at + 2]!,
      valueEnd: this.offsets[at + 3]!,
    };
  }
}

/** Measures one state; returns its body's length and adds its values' UTF-8 bytes to `valueBytes`. */
function measureState(writer: SizedWriter, bounds: FieldBounds, state: StoredState, time: { seconds: bigint; nanos: number }): { length: number; valueBytes: number } {
  let length = 0;
  let valueBytes = 0;
  if (state.username !== "") length += writer.measureString(state.username);
  if (state.usageKey !== "") length += writer.measureString(state.usageKey);
  const text = state.stateJson;
  let fields = 0;
  forEachStateField(text, (escapedName, nameStart, nameEnd, valueStart, valueEnd) => {
    const slot = writer.reserve();
    const name = escapedName === null ? writer.measureRange(text, nameStart, nameEnd) : writer.measureString(escapedName);
    const value = writer.measureRange(text, valueStart, valueEnd);
    valueBytes += writer.lastLength();
    length += writer.fill(slot, name + value);
    bounds.offsets.push(nameStart, nameEnd, valueStart, valueEnd);
    bounds.escapedNames.push(escapedName);
    fields += 1;
  });
  bounds.counts.push(fields);
  const seconds = time.seconds === 0n ? 0 : 1 + int64Length(time.seconds);
  const nanos = time.nanos === 0 ? 0 : 1 + varintLength(time.nanos);
  length += writer.fill(writer.reserve(), seconds + nanos);
  return { length, valueBytes };
}

function writeState(writer: SizedWriter, bounds: FieldBounds, fieldCount: number, state: StoredState, time: { seconds: bigint; nanos: number }): void {
  if (state.username !== "") writer.string(tagUsername, state.username);
  if (state.usageKey !== "") writer.string(tagBlockKey, state.usageKey);
  const text = state.stateJson;
  for (let field = 0; field < fieldCount; field += 1) {
    const { escapedName, nameStart, nameEnd, valueStart, valueEnd } = bounds.take();
    writer.nested(tagFieldEntry);
    if (escapedName === null) writer.range(tagEntryKey, text, nameStart, nameEnd);
    else writer.string(tagEntryKey, escapedName);
    writer.range(tagEntryValue, text, valueStart, valueEnd);
  }
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

/** What {@link encodeStoredStates} returns. */
export interface EncodedStates {
  /** One unknown field per state, in order (see {@link encodeStoredStates}). */
  readonly fields: UnknownField[];
  /** UTF-8 bytes of each state's field values, for metrics. */
  readonly valueBytes: number[];
}

/**
 * The `repeated BlockState block_states = 1` of GetManyResponse and the
 * IterAll*Response messages, written straight from stored states: each
 * state's JSON text is scanned once for its fields' bounds, and names and
 * values are copied from it into one buffer of the exact size (two passes:
 * measure, then write), without building a field object or a BlockState
 * message. One unknown field per state, to be set as the `$unknown` of an
 * otherwise empty message: protobuf-es's `toBinary` writes unknown fields
 * verbatim, so the message on the wire is the BlockStates it describes (map
 * entries in the order of the stored text). One field per state lets a
 * caller split states over several messages.
 */
export function encodeStoredStates(states: readonly StoredState[]): EncodedStates {
  const writer = new SizedWriter();
  const bounds = new FieldBounds();
  const times = states.map((state) => secondsAndNanos(state.modified));
  const valueBytes: number[] = [];
  let total = 0;
  states.forEach((state, index) => {
    const slot = writer.reserve();
    const measured = measureState(writer, bounds, state, times[index]!);
    valueBytes.push(measured.valueBytes);
    total += writer.fill(slot, measured.length);
  });
  writer.start(total);
  // An unknown field's data is everything after its tag: the length and the body.
  const fields = states.map((state, index): UnknownField => {
    const start = writer.nested(tagRepeatedBlockState);
    writeState(writer, bounds, bounds.counts[index]!, state, times[index]!);
    return { no: 1, wireType: WireType.LengthDelimited, data: writer.slice(start) };
  });
  writer.finish();
  return { fields, valueBytes };
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
