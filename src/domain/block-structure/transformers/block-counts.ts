import type { BlockStructureTransformer } from "../transformer.js";

const name = "blocks_api:block_counts";

/**
 * Upstream's BlockCountsTransformer: for each type in `blockTypesToCount`,
 * how many blocks of that type are at or under each block, summed over its
 * children; as upstream, a block reached through two paths counts on each.
 * Outputs the type → count map; nothing when no type is asked for.
 */
export const blockCountsTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect() {
    // Counts depend on what survived the request's filters: computed at transform time.
  },
  transform(usage, structure) {
    const types = usage.options.blockTypesToCount;
    if (types.length === 0) return;
    for (const key of structure.postOrderTraversal()) {
      const own = structure.blockTypeOf(key);
      const counts: Record<string, number> = {};
      for (const type of types) {
        let count = own === type ? 1 : 0;
        for (const child of structure.childrenOf(key)) count += (structure.transformerFieldOf(child, name, "counts") as Record<string, number>)[type]!;
        counts[type] = count;
      }
      structure.setTransformerField(key, name, "counts", counts);
    }
  },
  outputOf(_usage, structure, key) {
    return structure.transformerFieldOf(key, name, "counts") as Record<string, number> | undefined;
  },
};
