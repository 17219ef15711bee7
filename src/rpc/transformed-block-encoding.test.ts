// The purpose-built encoder must write exactly the bytes protobuf-es writes
// for the same GetTransformedResponse, whatever the strings and sizes.
import { create, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StructureVersionSchema, TransformedBlockSchema, TransformerFieldsSchema } from "../../gen/learnerstate/v1/block_structure_pb.js";
import { GetTransformedResponseSchema } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { installExactTextEncoding } from "./exact-text-encoding.js";
import { encodeTransformedBlockFields, type TransformedBlockTexts } from "./transformed-block-encoding.js";

installExactTextEncoding(); // as the server runs

/** Any UTF-16 code unit (lone surrogates included), ASCII, or whole code points beyond the BMP. */
const text = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), fc.constantFrom("a", "\"", "{"), fc.constantFrom("𝒜", "中", "é")),
    maxLength,
  });
/** Strings around the varint length boundaries and the ASCII fast path's limit. */
const sizedText = fc.oneof(text(40), fc.integer({ min: 60, max: 200 }).map((length) => "x".repeat(length)), fc.constantFrom("é".repeat(64), "y".repeat(16_384)));

const block: fc.Arbitrary<TransformedBlockTexts> = fc.record({
  blockKey: fc.oneof(sizedText, fc.constant("")),
  blockType: fc.oneof(text(12), fc.constant("")),
  children: fc.array(sizedText, { maxLength: 5 }),
  fields: fc.dictionary(text(12), sizedText, { maxKeys: 4 }),
  transformerFields: fc.dictionary(text(20), fc.dictionary(text(12), sizedText, { maxKeys: 4 }), { maxKeys: 4 }),
});

/** The message as protobuf-es builds and writes it, with the same header. */
function reference(blocks: TransformedBlockTexts[], header: boolean): Uint8Array {
  const message = create(GetTransformedResponseSchema, {
    blocks: blocks.map((item) =>
      create(TransformedBlockSchema, {
        blockKey: item.blockKey,
        blockType: item.blockType,
        children: [...item.children],
        fields: { ...item.fields },
        transformerFields: Object.fromEntries(Object.entries(item.transformerFields).map(([name, fields]) => [name, create(TransformerFieldsSchema, { fields: { ...fields } })])),
      }),
    ),
  });
  if (header) {
    message.rootBlockKey = "block-v1:X+Y+Z+type@course+block@course";
    message.version = create(StructureVersionSchema, { courseKey: "course-v1:X+Y+Z", blockCount: 7 });
    message.evaluatedAt = create(TimestampSchema, { seconds: 1_780_000_000n, nanos: 5000 });
  }
  return toBinary(GetTransformedResponseSchema, message);
}

function encoded(blocks: TransformedBlockTexts[], header: boolean): Uint8Array {
  const message = create(GetTransformedResponseSchema);
  if (header) {
    message.rootBlockKey = "block-v1:X+Y+Z+type@course+block@course";
    message.version = create(StructureVersionSchema, { courseKey: "course-v1:X+Y+Z", blockCount: 7 });
    message.evaluatedAt = create(TimestampSchema, { seconds: 1_780_000_000n, nanos: 5000 });
  }
  message.$unknown = encodeTransformedBlockFields(blocks);
  return toBinary(GetTransformedResponseSchema, message);
}

describe("encodeTransformedBlockFields()", () => {
  it("should write GetTransformedResponse exactly as toBinary does", () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 5 }), fc.boolean(), (blocks, header) => {
        expect(Buffer.from(encoded(blocks, header)).equals(Buffer.from(reference(blocks, header)))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("should write a block of several megabytes, and no blocks as no fields", () => {
    const big: TransformedBlockTexts = { blockKey: "k", blockType: "html", children: [], fields: { data: `"${"é".repeat(1_500_000)}"` }, transformerFields: { t: { a: "1" } } };
    expect(Buffer.from(encoded([big], true)).equals(Buffer.from(reference([big], true)))).toBe(true);
    expect(encodeTransformedBlockFields([])).toEqual([]);
  });
});
