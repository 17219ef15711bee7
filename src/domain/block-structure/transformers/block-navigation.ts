import type { BlockStructureTransformer } from "../transformer.js";
import { booleanFieldOf } from "../xblock-fields.js";
import { blockDepthOf } from "./block-depth.js";

const name = "blocks_api:block_navigation";

/**
 * Upstream's BlockNavigationTransformer: a table of contents. Each block at
 * most `navigationDepth` deep gets a `descendants` list: the blocks it leads
 * to in navigation, namely its children, and every block under a child that is
 * deeper than `navigationDepth`, in topological order. A `hide_from_toc` block
 * is in no list, nor is anything reached only through it. Needs the depths
 * of `blocks_api:block_depth`. Outputs `descendants`.
 */
export const blockNavigationTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: ["blocks_api:block_depth"],
  collect(structure) {
    for (const key of structure.topologicalTraversal()) {
      if (booleanFieldOf(structure, key, "hide_from_toc")) structure.setTransformerField(key, name, "hide_from_toc", true);
    }
  },
  transform(usage, structure) {
    const maxDepth = usage.options.navigationDepth;
    if (maxDepth === null) return;
    // The lists a block's children add themselves to; absent when they add to none.
    const listsForChildren = new Map<string, Set<string[]>>();
    for (const key of structure.topologicalTraversal()) {
      const parents = structure.parentsOf(key);
      const parentLists = new Set<string[]>();
      let reachedByParent = false;
      for (const parent of parents) {
        const lists = listsForChildren.get(parent);
        if (lists === undefined) continue;
        reachedByParent = true;
        for (const list of lists) parentLists.add(list);
      }
      if (structure.transformerFieldOf(key, name, "hide_from_toc") === true || (parents.length > 0 && !reachedByParent)) continue;
      for (const list of parentLists) list.push(key);
      if (blockDepthOf(structure, key)! > maxDepth) {
        listsForChildren.set(key, parentLists);
      } else {
        const own: string[] = [];
        structure.setTransformerField(key, name, "descendants", own);
        listsForChildren.set(key, new Set([own]));
      }
    }
  },
  outputOf(_usage, structure, key) {
    const descendants = structure.transformerFieldOf(key, name, "descendants");
    return descendants === undefined ? undefined : { descendants };
  },
};
