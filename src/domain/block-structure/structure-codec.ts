import {
  blockStructureSchemaVersion,
  type CollectedBlock,
  type CollectedStructure,
  type CollectedTransformerData,
  type TransformerValue,
  type XBlockFieldTexts,
} from "./collected-structure.js";

// The stored form: blocks in topological order, children and per-block
// transformer data by block index (keys are long; indexes compress well).
interface EncodedBlock {
  readonly k: string;
  readonly t: string;
  readonly i: string;
  readonly c: readonly number[];
  readonly f: XBlockFieldTexts;
}

interface EncodedTransformer {
  readonly version: number;
  readonly data: Readonly<Record<string, TransformerValue>>;
  readonly blocks: ReadonlyArray<readonly [number, Readonly<Record<string, TransformerValue>>]>;
}

interface EncodedStructure {
  readonly schema: string;
  readonly blocks: readonly EncodedBlock[];
  readonly transformers: Readonly<Record<string, EncodedTransformer>>;
  readonly userStateKeys: readonly number[];
}

/**
 * The JSON text a collected structure is stored as (the store compresses
 * it). The root is the first block. {@link decodeStructure} reads it back.
 */
export function encodeStructure(structure: CollectedStructure): string {
  const index = new Map([...structure.blocks.keys()].map((key, position) => [key, position]));
  const indexOf = (key: string) => index.get(key)!;
  const blocks = [...structure.blocks.values()].map((block) => ({ k: block.key, t: block.blockType, i: block.blockId, c: block.children.map(indexOf), f: block.fields }));
  const transformers: Record<string, EncodedTransformer> = {};
  for (const [name, collected] of structure.transformers) {
    transformers[name] = { version: collected.version, data: collected.data, blocks: [...collected.blocks].map(([key, values]) => [indexOf(key), values] as const) };
  }
  const encoded: EncodedStructure = { schema: blockStructureSchemaVersion, blocks, transformers, userStateKeys: structure.userStateKeys.map(indexOf) };
  return JSON.stringify(encoded);
}

/**
 * Reads what {@link encodeStructure} wrote. Throws an Error (a fault, not a
 * caller's mistake) for another schema version or a text it did not write.
 */
export function decodeStructure(text: string): CollectedStructure {
  const encoded = JSON.parse(text) as EncodedStructure;
  if (encoded.schema !== blockStructureSchemaVersion) throw new Error(`stored block structure has schema ${String(encoded.schema)}, expected ${blockStructureSchemaVersion}`);
  const keys = encoded.blocks.map((block) => block.k);
  const keyAt = (position: number) => {
    const key = keys[position];
    if (key === undefined) throw new Error(`stored block structure names block #${position} of ${keys.length}`);
    return key;
  };
  const parents = new Map<string, string[]>(keys.map((key) => [key, []]));
  for (const block of encoded.blocks) for (const child of block.c) parents.get(keyAt(child))!.push(block.k);
  const blocks = new Map<string, CollectedBlock>();
  for (const block of encoded.blocks) {
    blocks.set(block.k, { key: block.k, blockType: block.t, blockId: block.i, children: block.c.map(keyAt), parents: parents.get(block.k)!, fields: block.f });
  }
  const transformers = new Map<string, CollectedTransformerData>();
  for (const [name, collected] of Object.entries(encoded.transformers)) {
    transformers.set(name, { version: collected.version, data: collected.data, blocks: new Map(collected.blocks.map(([position, values]) => [keyAt(position), values])) });
  }
  const rootKey = keyAt(0);
  return { rootKey, blocks, transformers, userStateKeys: encoded.userStateKeys.map(keyAt) };
}
