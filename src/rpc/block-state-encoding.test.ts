// The purpose-built encoder must write exactly the bytes protobuf-es writes
// for the same message, whatever the strings, sizes and timestamps.
import { create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockStateSchema, type BlockState } from "../../gen/learnerstate/v1/user_state_pb.js";
import { GetManyResponseSchema, IterAllForCourseResponseSchema } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { encodeBlockStateFields, encodeResumeTokenField } from "./block-state-encoding.js";
import { installExactTextEncoding } from "./exact-text-encoding.js";

installExactTextEncoding(); // as the server runs

/** Any UTF-16 code unit (lone surrogates included), ASCII, or whole code points beyond the BMP. */
const text = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), fc.constantFrom("a", "\"", "{"), fc.constantFrom("𝒜", "中", "é")),
    maxLength,
  });
/** Strings around the varint length boundaries (127/128, 16383/16384 bytes) and the ASCII fast path's limit. */
const sizedText = fc.oneof(text(40), fc.integer({ min: 60, max: 200 }).map((length) => "x".repeat(length)), fc.constantFrom("é".repeat(64), "y".repeat(16_384), "z".repeat(16_383)));

const timestamp = fc.record({
  seconds: fc.oneof(fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n }), fc.constantFrom(0n, -1n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n))),
  nanos: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constant(0)),
});

const blockState = fc
  .record({
    username: fc.oneof(text(20), fc.constant("")),
    blockKey: fc.oneof(sizedText, fc.constant("")),
    fields: fc.dictionary(text(12), sizedText, { maxKeys: 8 }),
    updateTime: fc.option(timestamp, { nil: undefined }),
  })
  .map(({ updateTime, ...rest }) =>
    create(BlockStateSchema, { ...rest, ...(updateTime === undefined ? {} : { updateTime: create(TimestampSchema, updateTime) }) }),
  );

function encodedWithUnknownFields<Desc extends DescMessage>(schema: Desc, states: BlockState[], resumeToken: string): Uint8Array | null {
  const fields = encodeBlockStateFields(states);
  if (fields === null) return null;
  const carrier = create(schema) as MessageShape<Desc>;
  carrier.$unknown = [...fields, ...encodeResumeTokenField(resumeToken)];
  return toBinary(schema, carrier);
}

/** Empty when both are the same bytes; else where they first differ (toEqual on long arrays is too slow here). */
function difference(actual: Uint8Array | null, expected: Uint8Array): string {
  if (actual === null) return "not encoded";
  if (Buffer.from(actual).equals(Buffer.from(expected))) return "";
  let index = 0;
  while (index < actual.length && actual[index] === expected[index]) index += 1;
  return `${actual.length} bytes against ${expected.length}; first difference at byte ${index}`;
}

describe("encodeBlockStateFields() and encodeResumeTokenField()", () => {
  it("should write IterAllForCourseResponse exactly as toBinary does", () => {
    fc.assert(
      fc.property(fc.array(blockState, { maxLength: 6 }), text(30), (states, resumeToken) => {
        const expected = toBinary(IterAllForCourseResponseSchema, create(IterAllForCourseResponseSchema, { blockStates: states, resumeToken }));
        expect(difference(encodedWithUnknownFields(IterAllForCourseResponseSchema, states, resumeToken), expected)).toBe("");
      }),
      { numRuns: 500 },
    );
  });

  it("should write GetManyResponse exactly as toBinary does", () => {
    fc.assert(
      fc.property(fc.array(blockState, { maxLength: 6 }), (states) => {
        const expected = toBinary(GetManyResponseSchema, create(GetManyResponseSchema, { blockStates: states }));
        expect(difference(encodedWithUnknownFields(GetManyResponseSchema, states, ""), expected)).toBe("");
      }),
      { numRuns: 300 },
    );
  });

  it("should write a value of several megabytes", () => {
    const states = [create(BlockStateSchema, { username: "u", blockKey: "k", fields: { big: `"${"é".repeat(1_500_000)}"`, small: "1" } })];
    const expected = toBinary(GetManyResponseSchema, create(GetManyResponseSchema, { blockStates: states }));
    expect(difference(encodedWithUnknownFields(GetManyResponseSchema, states, ""), expected)).toBe("");
  });

  it("should return null, leaving the message to protobuf-es, for states it does not model", () => {
    const withUnknown = create(BlockStateSchema, { username: "u" });
    withUnknown.$unknown = [{ no: 9, wireType: 0, data: new Uint8Array([1]) }];
    const negativeNanos = create(BlockStateSchema, { updateTime: create(TimestampSchema, { seconds: 1n, nanos: -1 }) });
    expect(encodeBlockStateFields([create(BlockStateSchema), withUnknown])).toBeNull();
    expect(encodeBlockStateFields([negativeNanos])).toBeNull();
  });

  it("should encode no states, and an empty token, as no fields", () => {
    expect(encodeBlockStateFields([])).toEqual([]);
    expect(encodeResumeTokenField("")).toEqual([]);
  });
});
