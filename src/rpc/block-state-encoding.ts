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
const tagStateJson = 0x2a; // BlockState field 5
const tagEntryKey = 0x0a; // map entry field 1
const tagEntryValue = 0x12; // map entry field 2
const tagSeconds = 0x08; // google.protobuf.Timestamp field 1
const tagNanos = 0x10; // google.protobuf.Timestamp field 2

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
  // Reused by every encoding (encoding is synchronous; see takeOffsets).
  offsets = takeOffsets();
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

/** The offsets array of the last finished encoding, for the next one. */
let spareOffsets: Int32Array | null = null;

function takeOffsets(): Int32Array {
  const offsets = spareOffsets ?? new Int32Array(4096);
  spareOffsets = null;
  return offsets;
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

/** {@link measureState} for the JSON-object form: the state's text as one string, nothing to scan. */
function measureStateObject(writer: SizedWriter, valueBytes: number[], state: StoredState): number {
  let length = 0;
  if (state.username !== "") length += writer.measureString(state.username);
  if (state.usageKey !== "") length += writer.measureString(state.usageKey);
  // Measured in the order written: field 4 (the time), then field 5.
  length += writer.fill(writer.reserve(), timestampLength(state.modified));
  length += writer.measureString(state.stateJson);
  valueBytes.push(writer.lastLength());
  return length;
}

function writeStateObject(writer: SizedWriter, state: StoredState): void {
  if (state.username !== "") writer.string(tagUsername, state.username);
  if (state.usageKey !== "") writer.string(tagBlockKey, state.usageKey);
  writeTimestamp(writer, state.modified);
  writer.string(tagStateJson, state.stateJson);
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
  /** UTF-8 bytes of each state's field values (JSON-object form: of its text), for metrics. */
  readonly valueBytes: readonly number[];
}

/** How BlockStates carry their state: field by field (`fields`), or as one JSON object text (`state_json`). */
export type StateForm = "fields" | "json-object";

/**
 * The `repeated BlockState block_states = 1` of GetManyResponse and the
 * IterAll*Response messages, written straight from stored states: each
 * state's JSON text is scanned once for its fields' bounds, and names and
 * values are copied from it into one buffer of the exact size (two passes:
 * measure, then write), without building a field object or a BlockState
 * message. Map entries follow the order of the stored text. In the
 * JSON-object form the text goes out whole, unscanned, as `state_json`. Any
 * run of consecutive states is one slice of `bytes` (see
 * {@link blockStatesField}), so a caller may split the states over several
 * messages.
 */
export function encodeStoredStates(states: readonly StoredState[], form: StateForm = "fields"): EncodedStates {
  const writer = new SizedWriter();
  const bounds = new FieldBounds();
  const valueBytes: number[] = [];
  const whole = form === "json-object";
  let total = 0;
  for (const state of states) {
    const slot = writer.reserve();
    total += writer.fill(slot, whole ? measureStateObject(writer, valueBytes, state) : measureState(writer, bounds, valueBytes, state));
  }
  writer.start(total);
  const ends = states.map((state, index) => {
    writer.nested(tagRepeatedBlockState);
    if (whole) writeStateObject(writer, state);
    else writeState(writer, bounds, bounds.fieldsPerState[index]!, state);
    return writer.offset;
  });
  const bytes = writer.slice(0);
  writer.finish();
  if (bounds.offsets.length <= 1 << 20) spareOffsets = bounds.offsets;
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
