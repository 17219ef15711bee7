import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { BytePool } from "../buffers/byte-pool.js";
import { highWord, lowWord, safeIntegerAt, wordsOf } from "../buffers/int64-words.js";
import { boundsPerRow, etagLength, pageSizing, writeEtag, type StatePage } from "../domain/state/index.js";
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

/** {@link timestampLength} of microseconds exact as a number and not negative. */
function safeTimestampLength(micros: number): number {
  const seconds = Math.floor(micros / million);
  const nanos = (micros - seconds * million) * 1000;
  return (seconds === 0 ? 0 : 1 + varintLength(seconds)) + (nanos === 0 ? 0 : 1 + varintLength(nanos));
}

/** Bytes of a Timestamp's body: seconds and nanos, each left out when 0. */
function timestampLength(micros: bigint): number {
  if (micros >= 0n && micros < twoTo53) return safeTimestampLength(Number(micros));
  const seconds = secondsOf(micros);
  const nanos = nanosOf(micros);
  return (seconds === 0n ? 0 : 1 + int64Length(seconds)) + (nanos === 0 ? 0 : 1 + varintLength(nanos));
}

/** {@link writeTimestamp} of microseconds exact as a number and not negative. */
function writeSafeTimestamp(writer: SizedWriter, micros: number): void {
  const seconds = Math.floor(micros / million);
  const nanos = (micros - seconds * million) * 1000;
  if (seconds !== 0) {
    writer.byte(tagSeconds);
    writer.varint(seconds);
  }
  if (nanos !== 0) {
    writer.byte(tagNanos);
    writer.varint(nanos);
  }
}

/** Writes field 4 (`update_time`, of BlockState and HistoryEntry alike): a Timestamp of `micros`, its length measured with {@link timestampLength}. */
function writeTimestamp(writer: SizedWriter, micros: bigint): void {
  writer.nested(tagUpdateTime);
  if (micros >= 0n && micros < twoTo53) {
    writeSafeTimestamp(writer, Number(micros));
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
 * The versions of a page's rows (position and time, see etag.ts), read as
 * 32-bit halves: a row's time as a number where that is exact (every time
 * from 1970 to 2255) and its etag from the halves, so that encoding a row
 * makes no BigInt and no string; other times are read as bigint.
 */
export class PageVersions {
  private readonly positionWords: Int32Array;
  private readonly modifiedWords: Int32Array;
  private readonly modified: BigInt64Array;

  constructor(page: Pick<StatePage, "positions" | "modified">) {
    this.positionWords = wordsOf(page.positions);
    this.modifiedWords = wordsOf(page.modified);
    this.modified = page.modified;
  }

  /** {@link timestampLength} of row `row`'s time. */
  timestampLength(row: number): number {
    const micros = safeIntegerAt(this.modifiedWords, row);
    return micros >= 0 ? safeTimestampLength(micros) : timestampLength(this.modified[row]!);
  }

  /** {@link writeTimestamp} of row `row`'s time. */
  writeTimestamp(writer: SizedWriter, row: number): void {
    const micros = safeIntegerAt(this.modifiedWords, row);
    if (micros < 0) {
      writeTimestamp(writer, this.modified[row]!);
      return;
    }
    writer.nested(tagUpdateTime);
    writeSafeTimestamp(writer, micros);
  }

  /** Writes row `row`'s etag as field 6 of BlockState: {@link etagFieldLength} bytes, none of them measured beforehand. */
  writeEtag(writer: SizedWriter, row: number): void {
    const { positionWords, modifiedWords } = this;
    const high = 2 * row + highWord;
    const low = 2 * row + lowWord;
    writer.tagAndLength(tagEtag, etagLength);
    writeEtag(writer.target, writer.advance(etagLength), positionWords[high]!, positionWords[low]!, modifiedWords[high]!, modifiedWords[low]!);
  }
}

/** Bytes of a BlockState's etag field: tag, length (below 128, so one byte) and the etag. */
const etagFieldLength = 2 + etagLength;

/** How BlockStates carry their state: field by field (`fields`), or as one JSON object text (`state_json`). */
export type StateForm = "fields" | "json-object";

/** Measures row `row` of `page` and returns its BlockState body's length; records its fields in `entries` and its values' bytes in `valueBytes`. */
function measureRow(writer: SizedWriter, entries: FieldEntries, valueBytes: number[], page: StatePage, versions: PageVersions, row: number, form: StateForm): number {
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
    length += writer.fill(writer.reserve(), versions.timestampLength(row));
    length += writer.measureBytes(stateEnd - stateStart);
    valueBytes.push(stateEnd - stateStart);
  } else {
    length += entries.measure(page.data, stateStart, stateEnd);
    valueBytes.push(entries.valueBytes());
    length += writer.fill(writer.reserve(), versions.timestampLength(row));
  }
  return length + etagFieldLength;
}

function writeRow(writer: SizedWriter, entries: FieldEntries, page: StatePage, versions: PageVersions, row: number, form: StateForm): void {
  const at = boundsPerRow * row;
  const { data } = page;
  const position = page.bounds;
  if (position[at + 1]! > position[at]!) writer.bytesField(tagUsername, data, position[at]!, position[at + 1]!);
  if (position[at + 3]! > position[at + 2]!) writer.bytesField(tagBlockKey, data, position[at + 2]!, position[at + 3]!);
  if (form === "json-object") {
    versions.writeTimestamp(writer, row);
    writer.bytesField(tagStateJson, data, position[at + 4]!, position[at + 5]!);
  } else {
    entries.write(writer, data, tagFieldEntry);
    versions.writeTimestamp(writer, row);
  }
  versions.writeEtag(writer, row);
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
  const versions = new PageVersions(page);
  const valueBytes: number[] = [];
  let total = 0;
  for (let row = 0; row < page.rows; row += 1) {
    const slot = writer.reserve();
    total += writer.fill(slot, measureRow(writer, entries, valueBytes, page, versions, row, form));
  }
  writer.start(total, encodedPages);
  const ends: number[] = [];
  for (let row = 0; row < page.rows; row += 1) {
    writer.nested(tagRepeatedBlockState);
    writeRow(writer, entries, page, versions, row, form);
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
