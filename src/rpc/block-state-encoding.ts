import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { BytePool } from "../buffers/byte-pool.js";
import { boundsPerRow, etagLength, etagOf, pageSizing, type StatePage } from "../domain/state/index.js";
import { FieldEntries } from "./field-entries.js";
import { int64Length, SizedWriter, twoTo53, varintLength } from "./sized-writer.js";

// Protobuf wire tags (field number << 3 | wire type 2, length-delimited, or 0, varint).
const tagRepeatedBlockState = 0x0a; // GetManyResponse, IterAll*Response field 1
const tagResumeToken = 0x12; // IterAll*Response field 2
const tagUsername = 0x0a; // BlockState field 1
const tagBlockKey = 0x12; // BlockState field 2
const tagFieldEntry = 0x1a; // BlockState field 3, one map entry each
const tagUpdateTime = 0x22; // BlockState field 4
const tagStateJson = 0x2a; // BlockState field 5
const tagEtag = 0x32; // BlockState field 6
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
export function timestampLength(micros: bigint): number {
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

/** Writes field 4 (`update_time`, of BlockState and HistoryEntry alike): a Timestamp of `micros`, its length measured with {@link timestampLength}. */
export function writeTimestamp(writer: SizedWriter, micros: bigint): void {
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

/** How BlockStates carry their state: field by field (`fields`), or as one JSON object text (`state_json`). */
export type StateForm = "fields" | "json-object";

/** Measures row `row` of `page` and returns its BlockState body's length; records its fields in `entries` and its values' bytes in `valueBytes`. */
function measureRow(writer: SizedWriter, entries: FieldEntries, valueBytes: number[], page: StatePage, row: number, form: StateForm): number {
  const at = boundsPerRow * row;
  const { bounds } = page;
  const usernameBytes = bounds[at + 1]! - bounds[at]!;
  const keyBytes = bounds[at + 3]! - bounds[at + 2]!;
  const stateStart = bounds[at + 4]!;
  const stateEnd = bounds[at + 5]!;
  let length = 0;
  if (usernameBytes > 0) length += writer.measureBytes(usernameBytes);
  if (keyBytes > 0) length += writer.measureBytes(keyBytes);
  if (form === "json-object") {
    // Field 4 (the time) is written before field 5, so measured before it.
    length += writer.fill(writer.reserve(), timestampLength(page.modified[row]!));
    length += writer.measureBytes(stateEnd - stateStart);
    valueBytes.push(stateEnd - stateStart);
  } else {
    length += entries.measure(page.data, stateStart, stateEnd);
    valueBytes.push(entries.valueBytes());
    length += writer.fill(writer.reserve(), timestampLength(page.modified[row]!));
  }
  return length + writer.measureBytes(etagLength);
}

function writeRow(writer: SizedWriter, entries: FieldEntries, page: StatePage, row: number, form: StateForm): void {
  const at = boundsPerRow * row;
  const { data } = page;
  const position = page.bounds;
  if (position[at + 1]! > position[at]!) writer.bytesField(tagUsername, data, position[at]!, position[at + 1]!);
  if (position[at + 3]! > position[at + 2]!) writer.bytesField(tagBlockKey, data, position[at + 2]!, position[at + 3]!);
  if (form === "json-object") {
    writeTimestamp(writer, page.modified[row]!);
    writer.bytesField(tagStateJson, data, position[at + 4]!, position[at + 5]!);
  } else {
    entries.write(writer, data, tagFieldEntry);
    writeTimestamp(writer, page.modified[row]!);
  }
  writer.string(tagEtag, etagOf(page.positions[row]!, page.modified[row]!));
}

/** What {@link encodeStatePage} returns. */
export interface EncodedStates {
  /** Every state as an encoded `block_states` field (tag, length, BlockState), one after the other. */
  readonly bytes: Uint8Array;
  /** The offset in `bytes` after each state. */
  readonly ends: readonly number[];
  /** Bytes of each state's field values (JSON-object form: of its text), for metrics. */
  readonly valueBytes: readonly number[];
  /** Gives `bytes` back to the pool it was written in (see {@link encodedPages}); nothing may read them after. */
  readonly release: () => void;
}

/**
 * The buffers pages of rows are encoded in: as large as the pages, and as
 * many as there are pages in flight, so reused rather than left to the
 * garbage collector (see src/buffers/byte-pool.ts); as many bytes kept at
 * most as the pages of all streams aim at together (page-sizing.ts).
 */
export const encodedPages = new BytePool(pageSizing.allPagesBytes, 8 * 1024 * 1024);

/**
 * The `repeated BlockState block_states = 1` of GetManyResponse and the
 * IterAll*Response messages, written straight from the rows' bytes: each
 * state's JSON text is scanned once for its fields' bounds, and names and
 * values are copied from it into one buffer of the exact size (two passes:
 * measure, then write), without a string, a field object or a BlockState
 * message in between. Map entries follow the order of the stored text. In
 * the JSON-object form the text goes out whole, unscanned, as `state_json`.
 * Any run of consecutive states is one slice of `bytes` (see
 * {@link blockStatesField}), so a caller may split the states over several
 * messages.
 */
export function encodeStatePage(page: StatePage, form: StateForm = "fields"): EncodedStates {
  const writer = new SizedWriter();
  const entries = new FieldEntries();
  const valueBytes: number[] = [];
  let total = 0;
  for (let row = 0; row < page.rows; row += 1) {
    const slot = writer.reserve();
    total += writer.fill(slot, measureRow(writer, entries, valueBytes, page, row, form));
  }
  writer.start(total, encodedPages);
  const ends: number[] = [];
  for (let row = 0; row < page.rows; row += 1) {
    writer.nested(tagRepeatedBlockState);
    writeRow(writer, entries, page, row, form);
    ends.push(writer.offset);
  }
  const bytes = writer.slice(0);
  writer.finish();
  entries.release();
  return { bytes, ends, valueBytes, release: writer.release() };
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
 * follow the states' (see {@link encodeStatePage}); none for "", which
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
