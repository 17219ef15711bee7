import type { BlockStructure } from "../block-structure.js";
import type { BlockStructureTransformer, UsageInfo } from "../transformer.js";
import { numberFieldOf } from "../xblock-fields.js";

const name = "library_content";

/** Block types whose children are a per-learner selection (upstream's ItemBankMixin blocks). */
const itemBankBlockTypes: readonly string[] = ["library_content", "itembank"];

/**
 * The children of item bank block `key` the learner's stored `selected`
 * field keeps: its `[block_type, block_id]` pairs that name a child, each
 * once, in stored order, at most `max_count` of them (-1: every child).
 * Entries of another shape are skipped; no stored selection keeps none.
 */
function selectedChildren(usage: UsageInfo, structure: BlockStructure, key: string): string[] {
  const children = structure.childrenOf(key);
  const maxCount = structure.transformerFieldOf(key, name, "max_count") as number;
  const limit = maxCount < 0 ? children.length : maxCount;
  const stored = usage.userStateOf(key, "selected");
  if (!Array.isArray(stored)) return [];
  const byTypeAndId = new Map(children.map((child) => [`${structure.blockTypeOf(child)}\u0000${structure.blockIdOf(child)}`, child]));
  const selected: string[] = [];
  for (const entry of stored) {
    if (selected.length >= limit) break;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string" || typeof entry[1] !== "string") continue;
    const child = byTypeAndId.get(`${entry[0]}\u0000${entry[1]}`);
    if (child !== undefined && !selected.includes(child)) selected.push(child);
  }
  return selected;
}

/**
 * Upstream's ContentLibraryTransformer. Collect marks the item bank blocks
 * (`library_content`, `itembank`) with their `max_count` (XBlock default 1)
 * and asks for the learner's state of each. Transform keeps, of each item
 * bank block's children, those the learner's stored `selected` field names
 * (see {@link selectedChildren}), and removes the rest with their
 * descendants. Staff are not exempt. Unlike upstream, which picks and stores
 * a random selection when a learner has none or too few, the service only
 * reads: the LMS's block makes the selection when the learner first sees it.
 */
export const libraryContentTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: ["selected"],
  runsAfter: [],
  collect(structure) {
    for (const key of structure.topologicalTraversal()) {
      if (!itemBankBlockTypes.includes(structure.blockTypeOf(key)!)) continue;
      structure.setTransformerField(key, name, "max_count", numberFieldOf(structure, key, "max_count") ?? 1);
      structure.requestUserState(key);
    }
  },
  transformBlockFilters(usage, structure) {
    const libraryChildren = new Set<string>();
    const selected = new Set<string>();
    for (const key of structure.keys()) {
      if (structure.transformerFieldOf(key, name, "max_count") === undefined) continue;
      const kept = selectedChildren(usage, structure, key);
      structure.setTransformerField(key, name, "selected", kept);
      for (const child of structure.childrenOf(key)) libraryChildren.add(child);
      for (const child of kept) selected.add(child);
    }
    return [(key) => !libraryChildren.has(key) || selected.has(key)];
  },
  outputOf(_usage, structure, key) {
    const kept = structure.transformerFieldOf(key, name, "selected");
    return kept === undefined ? undefined : { selected: kept };
  },
};
