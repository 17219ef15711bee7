import { InvalidKeyError, parseUsageKey } from "../../keys/index.js";
import type { BlockStructure } from "../block-structure.js";
import type { BlockStructureTransformer } from "../transformer.js";
import { groupAccessOf, groupIdToChildOf, numberFieldOf, userPartitionsOf, type UserPartition } from "../xblock-fields.js";
import { removalUnlessStaff } from "./removal-unless-staff.js";

const name = "user_partitions";
const mergedAccess = "merged_group_access";

/** Partition id (as text) to the group ids allowed; partitions that do not restrict the block are absent. */
type MergedAccess = Readonly<Record<string, readonly number[]>>;

/** The canonical form of a usage key text; null when it does not parse. */
function canonicalKey(text: string): string | null {
  try {
    return parseUsageKey(text).toString();
  } catch (error) {
    if (error instanceof InvalidKeyError) return null;
    throw error;
  }
}

/**
 * The group access upstream's SplitTestTransformer.collect gives the
 * children of split_test blocks, over their own: for a split_test whose
 * `user_partition_id` is a declared partition, each child is restricted in
 * that partition to the group whose `group_id_to_child` entry names it, and
 * a child no group names gets an empty list (no restriction of its own).
 */
function splitTestAccess(structure: BlockStructure, declared: readonly UserPartition[]): Map<string, Map<number, number[]>> {
  const access = new Map<string, Map<number, number[]>>();
  for (const key of structure.topologicalTraversal()) {
    if (structure.blockTypeOf(key) !== "split_test") continue;
    const partition = declared.find((candidate) => candidate.id === numberFieldOf(structure, key, "user_partition_id"));
    if (partition === undefined) continue;
    const groupIdToChild = groupIdToChildOf(structure, key);
    const groupOfChild = new Map<string, number>();
    for (const group of partition.groupIds) {
      const child = groupIdToChild[String(group)];
      const canonical = child === undefined ? null : canonicalKey(child);
      if (canonical !== null) groupOfChild.set(canonical, group);
    }
    for (const child of structure.childrenOf(key)) {
      const group = groupOfChild.get(child);
      let childAccess = access.get(child);
      if (childAccess === undefined) access.set(child, (childAccess = new Map()));
      childAccess.set(partition.id, group === undefined ? [] : [group]);
    }
  }
  return access;
}

/** `a ∩ b`, null standing for every group. */
function intersect(a: ReadonlySet<number> | null, b: ReadonlySet<number> | null): ReadonlySet<number> | null {
  if (a === null) return b;
  if (b === null) return a;
  return new Set([...a].filter((group) => b.has(group)));
}

/**
 * Upstream's UserPartitionTransformer, with its `_MergedGroupAccess`.
 * Collect reads the course root's `user_partitions` (inactive ones are
 * ignored, as upstream's `get_all_partitions_for_course(active_only=True)`
 * leaves them out) and, for each block, merges `group_access` down the DAG:
 * per active partition, the groups its parents allow are the union over its
 * parents (a parent that does not restrict the partition lifts the
 * restriction), intersected with the block's own list (a missing partition,
 * `null` or `[]` is no restriction of its own). Partitions the course does
 * not declare are ignored; split_test children are restricted to their
 * experiment group first (see {@link splitTestAccess}). Transform refuses,
 * for learners without staff access, a block restricted in a partition where
 * the learner's group (from the caller) is not allowed or the learner has
 * none. Blocks under an access-denied message (upstream's content type
 * gating) are removed like the others: the service sends no messages.
 */
export const userPartitionsTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: [],
  runsAfter: [],
  collect(structure) {
    const declared = userPartitionsOf(structure, structure.rootKey);
    const active = declared.filter((partition) => partition.active).map((partition) => partition.id);
    structure.setTransformerData(name, "partitions", active);
    if (active.length === 0) return;
    const fromSplitTests = splitTestAccess(structure, declared);
    for (const key of structure.topologicalTraversal()) {
      const own = groupAccessOf(structure, key);
      for (const [partition, groups] of fromSplitTests.get(key) ?? []) own.set(partition, groups);
      const parents = structure.parentsOf(key).map((parent) => (structure.transformerFieldOf(parent, name, mergedAccess) ?? {}) as MergedAccess);
      const merged: Record<string, number[]> = {};
      for (const partition of active) {
        const id = String(partition);
        let allowedByParents: Set<number> | null = parents.length === 0 ? null : new Set();
        for (const parent of parents) {
          const allowed = parent[id];
          if (allowed === undefined) {
            allowedByParents = null;
            break;
          }
          for (const group of allowed) allowedByParents!.add(group);
        }
        const ownGroups = own.get(partition) ?? [];
        const allowed = intersect(ownGroups.length === 0 ? null : new Set(ownGroups), allowedByParents);
        if (allowed !== null) merged[id] = [...allowed].sort((a, b) => a - b);
      }
      if (Object.keys(merged).length > 0) structure.setTransformerField(key, name, mergedAccess, merged);
    }
  },
  transformBlockFilters(usage, structure) {
    return removalUnlessStaff(usage, (key) => {
      const access = structure.transformerFieldOf(key, name, mergedAccess) as MergedAccess | undefined;
      if (access === undefined) return false;
      return Object.entries(access).some(([partition, allowed]) => {
        const group = usage.partitionGroups.get(Number(partition));
        return group === undefined || !allowed.includes(group);
      });
    });
  },
};
