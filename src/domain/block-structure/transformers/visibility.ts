import type { BlockStructureTransformer } from "../transformer.js";
import { collectMergedBooleanField } from "./collect-merged-boolean-field.js";
import { removalUnlessStaff } from "./removal-unless-staff.js";

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
    collectMergedBooleanField(structure, name, "visible_to_staff_only", merged);
  },
  transformBlockFilters(usage, structure) {
    return removalUnlessStaff(usage, (key) => structure.transformerFieldOf(key, name, merged) === true);
  },
};
