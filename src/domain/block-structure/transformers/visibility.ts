import type { BlockStructureTransformer } from "../transformer.js";
import { universalFilter } from "../transformer.js";
import { booleanFieldOf } from "../xblock-fields.js";

const name = "visibility";
const merged = "merged_visible_to_staff_only";

/**
 * Upstream's VisibilityTransformer. Collect percolates `visible_to_staff_only`
 * down: a block is staff-only when it says so itself, or when every one of
 * its parents is (so one visible path is enough). Transform removes
 * staff-only blocks, with their descendants, for learners without staff
 * access.
 */
export const visibilityTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect(structure) {
    for (const key of structure.topologicalTraversal()) {
      const parents = structure.parentsOf(key);
      const throughParents = parents.length > 0 && parents.every((parent) => structure.transformerFieldOf(parent, name, merged) === true);
      structure.setTransformerField(key, name, merged, throughParents || booleanFieldOf(structure, key, "visible_to_staff_only"));
    }
  },
  transformBlockFilters(usage, structure) {
    if (usage.hasStaffAccess) return [universalFilter];
    return [structure.createRemovalFilter((key) => structure.transformerFieldOf(key, name, merged) === true)];
  },
};
