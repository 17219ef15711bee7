import type { UnknownField } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { SizedWriter } from "./sized-writer.js";

// Protobuf wire tags (field number << 3 | wire type 2, length-delimited).
const tagRepeatedBlock = 0x22; // GetTransformedResponse field 4
const tagBlockKey = 0x0a; // TransformedBlock field 1
const tagBlockType = 0x12; // TransformedBlock field 2
const tagChild = 0x1a; // TransformedBlock field 3, one per child
const tagFieldEntry = 0x22; // TransformedBlock field 4, one map entry each
const tagTransformerEntry = 0x2a; // TransformedBlock field 5, one map entry each
const tagTransformerFieldEntry = 0x0a; // TransformerFields field 1, one map entry each
const tagEntryKey = 0x0a; // map entry field 1
const tagEntryValue = 0x12; // map entry field 2

/** A TransformedBlock in plain values: every value already the text it is sent as. */
export interface TransformedBlockTexts {
  readonly blockKey: string;
  readonly blockType: string;
  readonly children: readonly string[];
  readonly fields: Readonly<Record<string, string>>;
  /** Transformer name → field name → JSON text. */
  readonly transformerFields: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Measures a map<string, string> entry (key and value, both always written); returns its bytes with tag and length. */
function measureEntry(writer: SizedWriter, key: string, value: string): number {
  const slot = writer.reserve();
  return writer.fill(slot, writer.measureString(key) + writer.measureString(value));
}

function measureBlock(writer: SizedWriter, block: TransformedBlockTexts): number {
  let length = 0;
  if (block.blockKey !== "") length += writer.measureString(block.blockKey);
  if (block.blockType !== "") length += writer.measureString(block.blockType);
  for (const child of block.children) length += writer.measureString(child);
  for (const name in block.fields) length += measureEntry(writer, name, block.fields[name]!);
  for (const transformer in block.transformerFields) {
    const entrySlot = writer.reserve();
    let entry = writer.measureString(transformer);
    const valueSlot = writer.reserve();
    let value = 0;
    const fields = block.transformerFields[transformer]!;
    for (const name in fields) value += measureEntry(writer, name, fields[name]!);
    entry += writer.fill(valueSlot, value);
    length += writer.fill(entrySlot, entry);
  }
  return length;
}

function writeEntry(writer: SizedWriter, tag: number, key: string, value: string): void {
  writer.nested(tag);
  writer.string(tagEntryKey, key);
  writer.string(tagEntryValue, value);
}

function writeBlock(writer: SizedWriter, block: TransformedBlockTexts): void {
  if (block.blockKey !== "") writer.string(tagBlockKey, block.blockKey);
  if (block.blockType !== "") writer.string(tagBlockType, block.blockType);
  for (const child of block.children) writer.string(tagChild, child);
  for (const name in block.fields) writeEntry(writer, tagFieldEntry, name, block.fields[name]!);
  for (const transformer in block.transformerFields) {
    writer.nested(tagTransformerEntry);
    writer.string(tagEntryKey, transformer);
    writer.nested(tagEntryValue);
    const fields = block.transformerFields[transformer]!;
    for (const name in fields) writeEntry(writer, tagTransformerFieldEntry, name, fields[name]!);
  }
}

/**
 * The `repeated TransformedBlock blocks = 4` of GetTransformedResponse, one
 * unknown field per block in order, to be set as the `$unknown` of a message
 * whose other fields are set as usual: protobuf-es's `toBinary` writes the
 * known fields, then the unknown ones verbatim, which is the order it would
 * write the whole message in, so the bytes on the wire are exactly its own
 * (map entries in the objects' key order, lone surrogates as U+FFFD). The
 * difference is cost: one buffer, two passes, no message object per block,
 * map entry or transformer's fields (see block-state-encoding.ts for the
 * same trade for states). One field per block lets a caller split the
 * blocks over several messages.
 */
export function encodeTransformedBlockFields(blocks: readonly TransformedBlockTexts[]): UnknownField[] {
  const writer = new SizedWriter();
  let total = 0;
  for (const block of blocks) {
    const slot = writer.reserve();
    total += writer.fill(slot, measureBlock(writer, block));
  }
  writer.start(total);
  // An unknown field's data is everything after its tag: the length and the body.
  const fields = blocks.map((block): UnknownField => {
    const start = writer.nested(tagRepeatedBlock);
    writeBlock(writer, block);
    return { no: 4, wireType: WireType.LengthDelimited, data: writer.slice(start) };
  });
  writer.finish();
  return fields;
}
