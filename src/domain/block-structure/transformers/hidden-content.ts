import type { BlockStructureTransformer } from "../transformer.js";
import { booleanFieldOf, dateFieldOf } from "../xblock-fields.js";
import { collectMergedBooleanField } from "./collect-merged-boolean-field.js";
import { removalUnlessStaff } from "./removal-unless-staff.js";

const name = "hidden_content";
const mergedHide = "merged_hide_after_due";
const mergedDue = "merged_due";

/**
 * Upstream's HiddenContentTransformer. Collect percolates `hide_after_due`
 * down as visibility does (set on the block, or on every parent), and `due`
 * as XBlock inheritance does (the block's own, else its parents'; with
 * several parents the latest, none counting as never, so that one open path
 * is enough); it also keeps the root's `self_paced` and `end`. Transform
 * removes, for learners without staff access, blocks that hide after their
 * due date once it has passed, or, in a self-paced course, once the course
 * has ended (upstream's SequenceBlock.verify_current_content_visibility).
 */
export const hiddenContentTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect(structure) {
    collectMergedBooleanField(structure, name, "hide_after_due", mergedHide);
    for (const key of structure.topologicalTraversal()) {
      const parents = structure.parentsOf(key);
      let due = dateFieldOf(structure, key, "due");
      if (due === null && parents.length > 0) {
        const parentDues = parents.map((parent) => structure.transformerFieldOf(parent, name, mergedDue) as number | null);
        due = parentDues.includes(null) ? null : Math.max(...(parentDues as number[]));
      }
      structure.setTransformerField(key, name, mergedDue, due);
    }
    const root = structure.rootKey;
    structure.setTransformerData(name, "self_paced", booleanFieldOf(structure, root, "self_paced"));
    structure.setTransformerData(name, "course_end", dateFieldOf(structure, root, "end"));
  },
  transformBlockFilters(usage, structure) {
    const selfPaced = structure.transformerDataOf(name, "self_paced") === true;
    const courseEnd = structure.transformerDataOf(name, "course_end") as number | null;
    return removalUnlessStaff(usage, (key) => {
      if (structure.transformerFieldOf(key, name, mergedHide) !== true) return false;
      const hiddenFrom = selfPaced ? courseEnd : (structure.transformerFieldOf(key, name, mergedDue) as number | null);
      return hiddenFrom !== null && usage.nowMs >= hiddenFrom;
    });
  },
};
