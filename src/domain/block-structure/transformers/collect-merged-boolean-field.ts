import type { BlockStructure } from "../block-structure.js";
import { booleanFieldOf } from "../xblock-fields.js";

/**
 * Percolates a boolean XBlock field down the structure, as upstream's
 * `collect_merged_boolean_field` does: a block's merged value is true when
 * the field is set on the block, or when it is true for every one of its
 * parents (so one parent without it is enough to clear it). Stores it as the
 * transformer's `mergedName` field of every block.
 */
export function collectMergedBooleanField(
  structure: BlockStructure,
  transformer: string,
  fieldName: "visible_to_staff_only" | "hide_after_due",
  mergedName: string,
): void {
  for (const key of structure.topologicalTraversal()) {
    const parents = structure.parentsOf(key);
    const throughParents = parents.length > 0 && parents.every((parent) => structure.transformerFieldOf(parent, transformer, mergedName) === true);
    structure.setTransformerField(key, transformer, mergedName, throughParents || booleanFieldOf(structure, key, fieldName));
  }
}
