import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { BlockState } from "../../gen/learnerstate/v1/user_state_pb.js";
import { int64Length, SizedWriter, varintLength } from "./sized-writer.js";

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
