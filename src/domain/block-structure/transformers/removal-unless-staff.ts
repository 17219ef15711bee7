import { universalFilter, type UsageInfo } from "../transformer.js";
import type { BlockFilter } from "../traversals.js";

/**
 * The filters of a transformer staff are exempt from: for a learner with
 * staff access, one that keeps everything; otherwise one that refuses the
 * blocks meeting `condition` (and so, unless another parent shows them,
 * their descendants).
 */
export function removalUnlessStaff(usage: UsageInfo, condition: (blockKey: string) => boolean): BlockFilter[] {
  return [usage.hasStaffAccess ? universalFilter : (key) => !condition(key)];
}
