import type { BlockStructureTransformer } from "../transformer.js";
import { dateFieldOf } from "../xblock-fields.js";
import { removalUnlessStaff } from "./removal-unless-staff.js";

const name = "start_date";
const merged = "merged_start_date";

/** When a block starts if nothing says otherwise: upstream's DEFAULT_START_DATE, 2030-01-01T00:00:00Z. */
export const defaultStartMs = Date.UTC(2030, 0, 1);

/**
 * Upstream's StartDateTransformer. Collect percolates `start` down: a block
 * starts at the latest start along its path (its own, or its parents' when it
 * has none), and with several parents at the earliest of its parents' starts,
 * so that one open path is enough; a root without `start` starts at
 * {@link defaultStartMs}. Transform removes blocks that have not started (the
 * evaluation time is not after their start) for learners without staff
 * access. Beta testers' `days_early_for_beta` is not applied: the service
 * does not know who tests a course.
 */
export const startDateTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect(structure) {
    for (const key of structure.topologicalTraversal()) {
      const own = dateFieldOf(structure, key, "start");
      const parents = structure.parentsOf(key);
      let start: number;
      if (parents.length === 0) {
        start = own ?? defaultStartMs;
      } else {
        const earliestParent = Math.min(...parents.map((parent) => structure.transformerFieldOf(parent, name, merged) as number));
        start = own === null ? earliestParent : Math.max(earliestParent, own);
      }
      structure.setTransformerField(key, name, merged, start);
    }
  },
  transformBlockFilters(usage, structure) {
    return removalUnlessStaff(usage, (key) => !(usage.nowMs > (structure.transformerFieldOf(key, name, merged) as number)));
  },
};
