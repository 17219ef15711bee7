/** XBlock field name to the JSON text of its value, as the publisher sent it. */
export type XBlockFieldTexts = Readonly<Record<string, string>>;

/** A JSON value a transformer stores: what JSON.stringify writes back unchanged. */
export type TransformerValue = unknown;

/** One block of a collected structure. Immutable: shared by every request that transforms it. */
export interface CollectedBlock {
  /** Canonical usage key. */
  readonly key: string;
  readonly blockType: string;
  /** The block id part of the usage key (how library selections name children). */
  readonly blockId: string;
  /** Children's keys in course order. */
  readonly children: readonly string[];
  /** Parents' keys, in the order the blocks that name this one as a child were sent. */
  readonly parents: readonly string[];
  readonly fields: XBlockFieldTexts;
}

/** What one transformer's collect phase stored. */
export interface CollectedTransformerData {
  /** The transformer's write version when it collected. */
  readonly version: number;
  /** Structure-wide values. */
  readonly data: Readonly<Record<string, TransformerValue>>;
  /** Per-block values, by block key; blocks it stored nothing for are absent. */
  readonly blocks: ReadonlyMap<string, Readonly<Record<string, TransformerValue>>>;
}

/**
 * A course's block graph with what the transformers collected from it:
 * upstream's BlockStructureBlockData after the collect phase. Immutable, so
 * one copy serves every concurrent request; a transformation works on a
 * BlockStructure made from it.
 */
export interface CollectedStructure {
  /** Canonical usage key of the root block. */
  readonly rootKey: string;
  /** Every block, keyed by canonical usage key, in topological order from the root (the root first). */
  readonly blocks: ReadonlyMap<string, CollectedBlock>;
  /** Transformer name → its collected data; absent before collection. */
  readonly transformers: ReadonlyMap<string, CollectedTransformerData>;
  /** Blocks whose learner state some transformer reads at transform time, sorted. */
  readonly userStateKeys: readonly string[];
}

/** The version of this file's structure format (upstream's BlockStructureBlockData.VERSION). */
export const blockStructureSchemaVersion = "1";

/** The same blocks with nothing collected: the stored input a re-collection starts from. */
export function withoutCollectedData(structure: CollectedStructure): CollectedStructure {
  return { rootKey: structure.rootKey, blocks: structure.blocks, transformers: new Map(), userStateKeys: [] };
}
