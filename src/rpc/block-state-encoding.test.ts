// The purpose-built encoder must write the message protobuf-es writes for the
// same states, whatever the strings, sizes and timestamps.
import { create, equals, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockStateSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { GetManyResponseSchema, IterAllForCourseResponseSchema } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { etagOf, pageOfStates, splitStateJson, type PositionedState } from "../domain/state/index.js";
import { blockStatesField, encodeResumeTokenField, encodeStatePage, type StateForm } from "./block-state-encoding.js";
import { installExactTextEncoding } from "./exact-text-encoding.js";
import { timestampFromMicros } from "./timestamp.js";

/** The encoder on the page of `states`, as GetMany calls it. */
const encodeStoredStates = (states: readonly PositionedState[], form?: StateForm) => encodeStatePage(pageOfStates(states), form);

installExactTextEncoding(); // as the server runs

/** Any UTF-16 code unit (lone surrogates included), ASCII, or whole code points beyond the BMP. */
const text = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), fc.constantFrom("a", "\"", "{"), fc.constantFrom("𝒜", "中", "é")),
    maxLength,
  });
/** Strings around the varint length boundaries (127/128, 16383/16384 bytes) and the ASCII fast path's limit. */
const sizedText = fc.oneof(text(40), fc.integer({ min: 60, max: 200 }).map((length) => "x".repeat(length)), fc.constantFrom("é".repeat(64), "y".repeat(16_384), "z".repeat(16_383)));

/** Microseconds since the epoch, before 1970 and beyond 2^53 included. */
const micros = fc.oneof(fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }), fc.constantFrom(0n, -1n, 1n, 2n ** 53n, 2n ** 53n + 1n));

/** A JSON value's text, as a stored state holds it: whatever the strings. */
const valueText = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  text(40).map((value) => JSON.stringify(value)),
  sizedText.map((value) => JSON.stringify(value)),
  fc.constantFrom("9007199254740993", "1.50", "-0", "[1, {\"a\": \"}\"}]"),
);

/** A stored state: its fields as one JSON object's text, names with quotes, escapes and digits among them. */
const storedState = fc
  .record({
    username: fc.oneof(text(20), fc.constant("")),
    usageKey: fc.oneof(sizedText, fc.constant("")),
    fields: fc.array(fc.tuple(fc.oneof(text(12), fc.constantFrom("1", "10", "a\"b", "__proto__")), valueText), { maxLength: 8 }),
    modified: micros,
    position: fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), fc.constantFrom(1n, 2n ** 63n - 1n)),
  })
  .map(({ fields, ...rest }): PositionedState => {
    const unique = [...new Map(fields).entries()];
    return { ...rest, stateJson: `{${unique.map(([name, value]) => `${JSON.stringify(name)}: ${value}`).join(", ")}}` };
  });

/** The message protobuf-es builds from the same states, fields sliced from their texts. */
function expectedMessage<Desc extends DescMessage>(schema: Desc, states: readonly PositionedState[], resumeToken: string): MessageShape<Desc> {
  const blockStates = states.map((state) =>
    create(BlockStateSchema, { username: state.username, blockKey: state.usageKey, fields: splitStateJson(state.stateJson), updateTime: timestampFromMicros(state.modified), etag: etagOf(state.position, state.modified) }),
  );
  return create(schema, { blockStates, ...(resumeToken === "" ? {} : { resumeToken }) } as never);
}

function encoded<Desc extends DescMessage>(schema: Desc, states: readonly PositionedState[], resumeToken: string): Uint8Array {
  const carrier = create(schema) as MessageShape<Desc>;
  const encodedStates = encodeStoredStates(states);
  carrier.$unknown = [...(states.length === 0 ? [] : [blockStatesField(encodedStates, 0, states.length - 1)]), ...encodeResumeTokenField(resumeToken)];
  return toBinary(schema, carrier);
}

/** Whether `actual` decodes to the message that `expected` encodes to (lone surrogates become U+FFFD on both sides). */
function sameMessage<Desc extends DescMessage>(schema: Desc, actual: Uint8Array, expected: MessageShape<Desc>): boolean {
  return equals(schema, fromBinary(schema, actual), fromBinary(schema, toBinary(schema, expected)));
}

describe("encodeStoredStates() and encodeResumeTokenField()", () => {
  it("should write the IterAllForCourseResponse protobuf-es writes for the same states", () => {
    fc.assert(
      fc.property(fc.array(storedState, { maxLength: 6 }), text(30), (states, resumeToken) => {
        expect(sameMessage(IterAllForCourseResponseSchema, encoded(IterAllForCourseResponseSchema, states, resumeToken), expectedMessage(IterAllForCourseResponseSchema, states, resumeToken))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("should write the GetManyResponse protobuf-es writes, and byte for byte when field order agrees", () => {
    fc.assert(
      fc.property(fc.array(storedState, { maxLength: 6 }), (states) => {
        const expected = expectedMessage(GetManyResponseSchema, states, "");
        const actual = encoded(GetManyResponseSchema, states, "");
        expect(sameMessage(GetManyResponseSchema, actual, expected)).toBe(true);
        // protobuf-es writes map entries in the object's key order, which puts
        // integer-like names first; the encoder keeps the stored order.
        if (states.every((state) => !/"\d+":/u.test(state.stateJson))) expect(difference(actual, toBinary(GetManyResponseSchema, expected))).toBe("");
      }),
      { numRuns: 300 },
    );
  });

  it("should write the state as one JSON object text, byte for byte as protobuf-es, in the JSON-object form", () => {
    fc.assert(
      fc.property(fc.array(storedState, { maxLength: 6 }), text(30), (states, resumeToken) => {
        const carrier = create(IterAllForCourseResponseSchema);
        const encodedStates = encodeStoredStates(states, "json-object");
        carrier.$unknown = [...(states.length === 0 ? [] : [blockStatesField(encodedStates, 0, states.length - 1)]), ...encodeResumeTokenField(resumeToken)];
        const blockStates = states.map((state) =>
          create(BlockStateSchema, { username: state.username, blockKey: state.usageKey, stateJson: state.stateJson, updateTime: timestampFromMicros(state.modified), etag: etagOf(state.position, state.modified) }),
        );
        const expected = create(IterAllForCourseResponseSchema, { blockStates, resumeToken });
        expect(difference(toBinary(IterAllForCourseResponseSchema, carrier), toBinary(IterAllForCourseResponseSchema, expected))).toBe("");
        expect(encodedStates.valueBytes).toEqual(states.map((state) => Buffer.byteLength(state.stateJson)));
      }),
      { numRuns: 300 },
    );
  });

  it("should write a value of several megabytes", () => {
    const states: PositionedState[] = [{ username: "u", usageKey: "k", stateJson: `{"big": "${"é".repeat(1_500_000)}", "small": 1}`, modified: 1n, position: 7n }];
    expect(difference(encoded(GetManyResponseSchema, states, ""), toBinary(GetManyResponseSchema, expectedMessage(GetManyResponseSchema, states, "")))).toBe("");
  });

  it("should cut any run of states out of one encoding", () => {
    fc.assert(
      fc.property(fc.array(storedState, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(), (states, a, b) => {
        const first = a % states.length;
        const last = first + (b % (states.length - first));
        const carrier = create(GetManyResponseSchema);
        carrier.$unknown = [blockStatesField(encodeStoredStates(states), first, last)];
        expect(sameMessage(GetManyResponseSchema, toBinary(GetManyResponseSchema, carrier), expectedMessage(GetManyResponseSchema, states.slice(first, last + 1), ""))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("should count each state's value bytes", () => {
    const { valueBytes } = encodeStoredStates([
      { username: "u", usageKey: "k", stateJson: '{"a": "é", "b": [1, 2]}', modified: 0n, position: 1n },
      { username: "u", usageKey: "k", stateJson: "{}", modified: 0n, position: 2n },
    ]);
    expect(valueBytes).toEqual([Buffer.byteLength('"é"') + "[1, 2]".length, 0]);
  });

  it("should encode no states, and an empty token, as no fields", () => {
    expect(encodeStoredStates([]).bytes).toHaveLength(0);
    expect(encodeResumeTokenField("")).toEqual([]);
  });
});

/** Empty when both are the same bytes; else where they first differ (toEqual on long arrays is too slow here). */
function difference(actual: Uint8Array | null, expected: Uint8Array): string {
  if (actual === null) return "not encoded";
  if (Buffer.from(actual).equals(Buffer.from(expected))) return "";
  let index = 0;
  while (index < actual.length && actual[index] === expected[index]) index += 1;
  return `${actual.length} bytes against ${expected.length}; first difference at byte ${index}`;
}
