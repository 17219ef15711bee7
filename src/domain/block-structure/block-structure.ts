import type { CollectedBlock, CollectedStructure, CollectedTransformerData, TransformerValue } from "./collected-structure.js";
import { traversePostOrder, traverseTopologically, type BlockFilter, type TopologicalOptions } from "./traversals.js";

/** Where a traversal of a {@link BlockStructure} starts and what it yields. */
export interface TraversalOptions extends TopologicalOptions {
  /** The block to start at; the structure's root when absent. */
  readonly start?: string;
}

/**
 * A block graph being collected or transformed: upstream's
 * BlockStructureBlockData (relations, XBlock fields, per-transformer block
 * data) with BlockStructureModulestoreData's collect-time additions. The
 * relations are the structure's own and change as blocks are removed; the
 * blocks' XBlock fields and collected data are shared, read-only, with the
 * collected structure it was made from, and what a transformer sets goes
 * into a layer of its own on top.
 */
export interface BlockStructure {
  /** The block traversals start at. */
  readonly rootKey: string;
  /** How many blocks are in the structure. */
  readonly size: number;
  /** Whether the block is in the structure (false once removed). */
  has(blockKey: string): boolean;
  /** The keys of the blocks in the structure, in no particular order. */
  keys(): string[];
  /** The block's parents; empty for the root and for blocks not in the structure. */
  parentsOf(blockKey: string): readonly string[];
  /** The block's children in course order; empty for blocks not in the structure. */
  childrenOf(blockKey: string): readonly string[];
  /** The block's XBlock type; undefined for an unknown block. */
  blockTypeOf(blockKey: string): string | undefined;
  /** The block id part of its usage key; undefined for an unknown block. */
  blockIdOf(blockKey: string): string | undefined;
  /** The JSON text of an XBlock field as published; undefined when the block has none. */
  fieldTextOf(blockKey: string, fieldName: string): string | undefined;
  /** The value of an XBlock field, parsed; undefined when the block has none. */
  fieldOf(blockKey: string, fieldName: string): unknown;

  /** A value `transformer` stored for the block (in the collect or the transform phase); undefined when none. */
  transformerFieldOf(blockKey: string, transformer: string, name: string): TransformerValue;
  /** Stores a value for the block under `transformer`'s name. */
  setTransformerField(blockKey: string, transformer: string, name: string, value: TransformerValue): void;
  /** A structure-wide value `transformer` stored; undefined when none. */
  transformerDataOf(transformer: string, name: string): TransformerValue;
  /** Stores a structure-wide value under `transformer`'s name. */
  setTransformerData(transformer: string, name: string, value: TransformerValue): void;
  /** The write version `transformer` collected with; 0 when it has not collected (upstream's `_get_transformer_data_version`). */
  collectedVersionOf(transformer: string): number;
  /** Records the version `transformer` collects with (upstream's `_add_transformer`). */
  markCollectedBy(transformer: string, version: number): void;
  /** Records, in the collect phase, that a transformer will read the learner's state of this block. */
  requestUserState(blockKey: string): void;

  /** See {@link traverseTopologically}; from `options.start` or the root; nothing when that block was removed. */
  topologicalTraversal(options?: TraversalOptions): Generator<string>;
  /** See {@link traversePostOrder}; from `start` or the root; nothing when that block was removed. */
  postOrderTraversal(options?: { readonly filter?: BlockFilter; readonly start?: string }): Generator<string>;

  /**
   * Removes the block and its data. With `keepDescendants`, each of its
   * children becomes a child of each of its parents (upstream's
   * `remove_block`; an edge that exists already is not doubled). Without,
   * the descendants nothing else reaches are removed with it, where upstream
   * leaves them until `_prune_unreachable` (see the comment inside). A block
   * not in the structure is ignored.
   */
  removeBlock(blockKey: string, keepDescendants: boolean): void;
  /**
   * Removes every block meeting `condition` (see {@link removeBlock}). The
   * condition is asked about every block, in topological order, before any
   * is removed, so a block's fate never depends on what was removed before
   * it was asked about. Upstream's `remove_block_traversal` asks as it
   * removes, and a block whose parent it removed mid-traversal can then
   * never be reached by that traversal, nor asked about, while another
   * parent still shows it (docs/design.md, "Block filters").
   */
  removeBlockTraversal(condition: (blockKey: string) => boolean, keepDescendants?: boolean): void;
  /** Makes `blockKey` the root (forgetting its parents); the rest stays until {@link pruneUnreachable}. */
  setRootBlock(blockKey: string): void;
  /** Removes every block the root does not reach. */
  pruneUnreachable(): void;

  /**
   * The structure with everything collected into it, in topological order
   * from the root; blocks the root does not reach are left out.
   */
  toCollected(): CollectedStructure;
}

interface Relations {
  parents: readonly string[];
  children: readonly string[];
}

interface OwnRelations {
  parents: string[];
  children: string[];
}

/**
 * A structure over `collected`: its relations copied, its blocks' data
 * shared. Collecting starts from a structure with nothing collected (see
 * withoutCollectedData); transforming from a fully collected one.
 */
export function createBlockStructure(collected: CollectedStructure): BlockStructure {
  let rootKey = collected.rootKey;
  // Relations are the collected ones, shared, until a block's change: then it
  // gets its own copy (most blocks of a request are never touched).
  // A block's own relations, or `gone` once it was removed; absent: unchanged.
  const changed = new Map<string, OwnRelations | typeof gone>();
  let removedCount = 0;
  function relationsOf(key: string): Relations | undefined {
    const own = changed.get(key);
    if (own === undefined) return collected.blocks.get(key);
    return own === gone ? undefined : own;
  }
  function ownRelationsOf(key: string): OwnRelations {
    const own = changed.get(key);
    if (own !== undefined && own !== gone) return own;
    const block = collected.blocks.get(key)!;
    const copy = { parents: [...block.parents], children: [...block.children] };
    changed.set(key, copy);
    return copy;
  }
  function markRemoved(key: string): void {
    changed.set(key, gone);
    removedCount += 1;
  }
  // What transformers set here, over what was collected: transformer → block → name → value.
  const ownBlockData = new Map<string, Map<string, Record<string, TransformerValue>>>();
  const ownData = new Map<string, Record<string, TransformerValue>>();
  const ownVersions = new Map<string, number>();
  const userStateKeys = new Set<string>(collected.userStateKeys);
  const emptyKeys: readonly string[] = [];

  const blockOf = (key: string): CollectedBlock | undefined => collected.blocks.get(key);
  const collectedOf = (transformer: string): CollectedTransformerData | undefined => collected.transformers.get(transformer);

  // Re-linking around a removed block may meet an edge that exists already;
  // it is kept once.
  function addRelation(parent: string, child: string): void {
    if (relationsOf(parent)!.children.includes(child)) return;
    ownRelationsOf(parent).children.push(child);
    ownRelationsOf(child).parents.push(parent);
  }

  const structure: BlockStructure = {
    get rootKey() {
      return rootKey;
    },
    get size() {
      return collected.blocks.size - removedCount;
    },
    has: (key) => relationsOf(key) !== undefined,
    keys: () => [...collected.blocks.keys()].filter((key) => changed.get(key) !== gone),
    parentsOf: (key) => relationsOf(key)?.parents ?? emptyKeys,
    childrenOf: (key) => relationsOf(key)?.children ?? emptyKeys,
    blockTypeOf: (key) => blockOf(key)?.blockType,
    blockIdOf: (key) => blockOf(key)?.blockId,
    fieldTextOf: (key, name) => blockOf(key)?.fields[name],
    fieldOf(key, name) {
      const text = blockOf(key)?.fields[name];
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },

    transformerFieldOf(key, transformer, name) {
      const own = ownBlockData.get(transformer)?.get(key);
      if (own !== undefined && Object.hasOwn(own, name)) return own[name];
      return collectedOf(transformer)?.blocks.get(key)?.[name];
    },
    setTransformerField(key, transformer, name, value) {
      let blocks = ownBlockData.get(transformer);
      if (blocks === undefined) ownBlockData.set(transformer, (blocks = new Map()));
      const values = blocks.get(key);
      if (values === undefined) blocks.set(key, { [name]: value });
      else values[name] = value;
    },
    transformerDataOf(transformer, name) {
      const own = ownData.get(transformer);
      if (own !== undefined && Object.hasOwn(own, name)) return own[name];
      return collectedOf(transformer)?.data[name];
    },
    setTransformerData(transformer, name, value) {
      const own = ownData.get(transformer);
      if (own === undefined) ownData.set(transformer, { [name]: value });
      else own[name] = value;
    },
    collectedVersionOf: (transformer) => ownVersions.get(transformer) ?? collectedOf(transformer)?.version ?? 0,
    markCollectedBy(transformer, version) {
      ownVersions.set(transformer, version);
    },
    requestUserState(key) {
      if (structure.has(key)) userStateKeys.add(key);
    },

    // A removed start (a filter may remove the root) has nothing under it.
    topologicalTraversal(options = {}) {
      const start = options.start ?? rootKey;
      return structure.has(start) ? traverseTopologically(start, structure.parentsOf, structure.childrenOf, options) : nothing();
    },
    postOrderTraversal(options = {}) {
      const start = options.start ?? rootKey;
      return structure.has(start) ? traversePostOrder(start, structure.childrenOf, options.filter) : nothing();
    },

    removeBlock(key, keepDescendants) {
      const gone = relationsOf(key);
      if (gone === undefined) return;
      for (const child of gone.children) removeOnce(ownRelationsOf(child).parents, key);
      for (const parent of gone.parents) removeOnce(ownRelationsOf(parent).children, key);
      markRemoved(key);
      for (const blocks of ownBlockData.values()) blocks.delete(key);
      if (keepDescendants) {
        for (const child of gone.children) for (const parent of gone.parents) addRelation(parent, child);
        return;
      }
      // A child left without parents is reached by nothing any more: it goes
      // too, and so on down. Left in place (as upstream leaves it until
      // _prune_unreachable), it would be a parent no traversal ever visits,
      // so a block it shares with a visible parent would never be yielded,
      // nor filtered.
      for (const child of gone.children) {
        if (child !== rootKey && relationsOf(child)?.parents.length === 0) structure.removeBlock(child, false);
      }
    },
    removeBlockTraversal(condition, keepDescendants = false) {
      const doomed = [...structure.topologicalTraversal()].filter(condition);
      for (const key of doomed) structure.removeBlock(key, keepDescendants);
    },
    setRootBlock(key) {
      rootKey = key;
      const root = relationsOf(key);
      if (root === undefined) return;
      for (const parent of root.parents) removeOnce(ownRelationsOf(parent).children, key);
      ownRelationsOf(key).parents = [];
    },
    pruneUnreachable() {
      const reachable = new Set(structure.postOrderTraversal());
      if (reachable.size === structure.size) return;
      const unreachable = structure.keys().filter((key) => !reachable.has(key));
      // A reachable block's parents may be unreachable (never the other way round).
      for (const key of unreachable) {
        for (const child of relationsOf(key)!.children) {
          if (reachable.has(child)) ownRelationsOf(child).parents = relationsOf(child)!.parents.filter((parent) => reachable.has(parent));
        }
      }
      for (const key of unreachable) markRemoved(key);
      for (const blocks of ownBlockData.values()) for (const key of blocks.keys()) if (!reachable.has(key)) blocks.delete(key);
    },

    toCollected() {
      const order = [...structure.topologicalTraversal()];
      const blocks = new Map<string, CollectedBlock>();
      for (const key of order) {
        const block = blockOf(key)!;
        const { parents, children } = relationsOf(key)!;
        blocks.set(key, { key, blockType: block.blockType, blockId: block.blockId, children: [...children], parents: [...parents], fields: block.fields });
      }
      const names = new Set([...collected.transformers.keys(), ...ownVersions.keys(), ...ownData.keys(), ...ownBlockData.keys()]);
      const transformers = new Map<string, CollectedTransformerData>();
      for (const name of names) {
        const before = collectedOf(name);
        const perBlock = new Map<string, Record<string, TransformerValue>>();
        for (const key of order) {
          const values = { ...before?.blocks.get(key), ...ownBlockData.get(name)?.get(key) };
          if (Object.keys(values).length > 0) perBlock.set(key, values);
        }
        transformers.set(name, { version: structure.collectedVersionOf(name), data: { ...before?.data, ...ownData.get(name) }, blocks: perBlock });
      }
      return { rootKey, blocks, transformers, userStateKeys: order.filter((key) => userStateKeys.has(key)).sort() };
    },
  };
  return structure;
}

/** Marks a removed block in a structure's changed relations. */
const gone = Symbol("removed");

function* nothing(): Generator<string> {
  // Yields no block.
}

function removeOnce(keys: string[], key: string): void {
  const position = keys.indexOf(key);
  if (position >= 0) keys.splice(position, 1);
}
