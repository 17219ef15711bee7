import type { BlockStructure } from "./block-structure.js";
import type { TransformerValue } from "./collected-structure.js";
import type { BlockFilter } from "./traversals.js";

/** Options of the transformers that take them; each is ignored unless its transformer runs. */
export interface TransformOptions {
  /** `blocks_api:block_counts`: the block types to count. */
  readonly blockTypesToCount: readonly string[];
  /** `blocks_api:block_depth`: remove blocks deeper than this; null keeps every depth. */
  readonly requestedDepth: number | null;
  /** `blocks_api:block_navigation`: build navigation down to this depth; null builds none. */
  readonly navigationDepth: number | null;
}

/** Whom a structure is transformed for: upstream's `usage_info`. */
export interface UsageInfo {
  /** The learner; null for an anonymous view (no state-reading transformer then runs). */
  readonly username: string | null;
  readonly hasStaffAccess: boolean;
  /** The time dates are evaluated at, epoch milliseconds. */
  readonly nowMs: number;
  /** The learner's group in each user partition, by partition id; a partition absent: in no group of it. */
  readonly partitionGroups: ReadonlyMap<number, number>;
  readonly options: TransformOptions;
  /**
   * A field of the learner's stored state of a block, as JSON; undefined when
   * the learner has no state there, or none of that field, or when the block
   * was not requested for user state in the collect phase.
   */
  userStateOf(blockKey: string, fieldName: string): unknown;
}

/**
 * One transformer of the block structure framework: upstream's
 * BlockStructureTransformer. Its collect phase runs once per published
 * version over the whole graph and stores what the transform phase needs
 * (percolated down, so that a block is decided from its own data); the
 * transform phase runs per request. A transformer implements exactly one of
 * `transformBlockFilters` (upstream's FilteringTransformerMixin: the filters
 * of every such transformer are combined into one decision per block) and
 * `transform`.
 */
export interface BlockStructureTransformer {
  /** Unique, stable: collected data is stored under it. */
  readonly name: string;
  /** Stored with its collected data; bump it when collect changes (at least 1). */
  readonly writeVersion: number;
  /** The oldest collected version transform can use; a structure collected with less is collected again. */
  readonly readVersion: number;
  /** Fields of learners' stored state it reads at transform time (for blocks it asked for with requestUserState); empty if none. */
  readonly userStateFields: readonly string[];
  /** Transformers that must run before it when it runs (named earlier, or filters). */
  readonly runsAfter: readonly string[];
  /** Collects and stores what transform needs (see BlockStructure.setTransformerField). */
  collect(structure: BlockStructure): void;
  /**
   * The filters to combine with the other filtering transformers': a block
   * stays only if every filter keeps it. Each decides from the block's
   * collected data and `usage` alone, whatever else was named and in
   * whichever order; none changes the structure.
   */
  transformBlockFilters?(usage: UsageInfo, structure: BlockStructure): BlockFilter[];
  /** Changes the structure for `usage` in place. */
  transform?(usage: UsageInfo, structure: BlockStructure): void;
  /** What it computed for a block, to return to the caller; undefined when it has nothing to say. */
  outputOf?(usage: UsageInfo, structure: BlockStructure, blockKey: string): Readonly<Record<string, TransformerValue>> | undefined;
}

/** The filter that keeps every block (upstream's `create_universal_filter`). */
export const universalFilter: BlockFilter = () => true;

/**
 * One filter that keeps a block only if each of `filters` keeps it, asking
 * them in turn and stopping at the first that refuses (upstream's
 * `combine_filters`).
 */
export function combineFilters(filters: readonly BlockFilter[]): BlockFilter {
  return (blockKey) => filters.every((filter) => filter(blockKey));
}
