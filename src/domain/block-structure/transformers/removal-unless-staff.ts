import type { BlockStructure } from "../block-structure.js";
import { universalFilter, type UsageInfo } from "../transformer.js";
import type { BlockFilter } from "../traversals.js";

/**
 * The filters of a transformer staff are exempt from: for a learner with
 * staff access, one that keeps everything; otherwise one that removes the
 * blocks meeting `condition`, with their descendants.
 */
export function removalUnlessStaff(usage: UsageInfo, structure: BlockStructure, condition: (blockKey: string) => boolean): BlockFilter[] {
  return [usage.hasStaffAccess ? universalFilter : structure.createRemovalFilter(condition)];
}
