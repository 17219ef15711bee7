import type { BlockStructureTransformer } from "../transformer.js";

const name = "blocks_api:block_depth";

/** The depth {@link blockDepthTransformer} computed for a block; undefined before it ran. */
export function blockDepthOf(structure: { transformerFieldOf(blockKey: string, transformer: string, field: string): unknown }, blockKey: string): number | undefined {
  return structure.transformerFieldOf(blockKey, name, "depth") as number | undefined;
}

/**
 * Upstream's BlockDepthTransformer: a block's depth below the starting block
 * (0), through its shallowest parent. With `requestedDepth`, blocks deeper
 * than it are removed. Outputs `depth`.
 */
export const blockDepthTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect() {
    // Depth depends on where a request starts: computed at transform time.
  },
  transform(usage, structure) {
    for (const key of structure.topologicalTraversal()) {
      const parents = structure.parentsOf(key);
      const depth = parents.length === 0 ? 0 : Math.min(...parents.map((parent) => blockDepthOf(structure, parent)!)) + 1;
      structure.setTransformerField(key, name, "depth", depth);
    }
    const limit = usage.options.requestedDepth;
    if (limit !== null) structure.removeBlockTraversal((key) => blockDepthOf(structure, key)! > limit);
  },
  outputOf(_usage, structure, key) {
    const depth = blockDepthOf(structure, key);
    return depth === undefined ? undefined : { depth };
  },
};
