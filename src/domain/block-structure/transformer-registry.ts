import { createHash } from "node:crypto";
import { invalidArgument } from "../errors.js";
import type { BlockStructure } from "./block-structure.js";
import type { CollectedStructure } from "./collected-structure.js";
import { combineFilters, type BlockStructureTransformer, type UsageInfo } from "./transformer.js";

/** The transformers a server runs: upstream's TransformerRegistry and BlockStructureTransformers. */
export interface TransformerRegistry {
  /** Registered names, sorted. */
  names(): string[];
  /** The registered transformer of that name; undefined when none. */
  find(name: string): BlockStructureTransformer | undefined;
  /** The names among `names` that are not registered, in the order given (upstream's `find_unregistered`). */
  findUnregistered(names: readonly string[]): string[];
  /** Names of the transformers that read learners' state. */
  stateReadingNames(): string[];
  /**
   * A digest of every registered transformer's name and write version
   * (upstream's `get_write_version_hash`): it changes whenever a collect
   * phase does.
   */
  writeVersionHash(): string;
  /** Runs every registered transformer's collect phase over `structure`, recording its write version. */
  collect(structure: BlockStructure): void;
  /**
   * The registered transformers whose read version is newer than what
   * `collected` was collected with (upstream's `verify_versions`, which
   * raises TransformerDataIncompatible for them); empty when it is usable.
   */
  outdated(collected: CollectedStructure): string[];
  /**
   * The transformers named by a request, in order. Throws INVALID_ARGUMENT
   * naming `transformers[i]` for a name that is not registered
   * (UNKNOWN_TRANSFORMER, listing the registered ones), named twice
   * (DUPLICATE_TRANSFORMER), or named without a transformer it must run after
   * (TRANSFORMER_DEPENDENCY).
   */
  resolve(names: readonly string[]): BlockStructureTransformer[];
  /**
   * Transforms `structure` for `usage` with `transformers` (from
   * {@link resolve}), as upstream's BlockStructureTransformers.transform
   * does: first the filters of all filtering ones, combined (a block stays
   * only if every filter keeps it, and then only while a path of kept blocks
   * from the root reaches it), then the others in order, then prunes what
   * the root no longer reaches. The filters' order never matters.
   */
  transform(structure: BlockStructure, usage: UsageInfo, transformers: readonly BlockStructureTransformer[]): void;
}

/**
 * A registry of `transformers`. Throws an Error (a programming fault) for a
 * name registered twice, a version below 1, a read version above the write
 * version, a transformer with both or neither of transform and
 * transformBlockFilters, or one that runs after an unregistered name.
 */
export function createTransformerRegistry(transformers: readonly BlockStructureTransformer[]): TransformerRegistry {
  const byName = new Map<string, BlockStructureTransformer>();
  for (const transformer of transformers) {
    if (byName.has(transformer.name)) throw new Error(`transformer ${transformer.name} is registered twice`);
    if (!(transformer.writeVersion >= 1 && transformer.readVersion >= 1 && transformer.readVersion <= transformer.writeVersion)) {
      throw new Error(`transformer ${transformer.name} needs versions 1 <= read <= write, has read ${transformer.readVersion} and write ${transformer.writeVersion}`);
    }
    if ((transformer.transform === undefined) === (transformer.transformBlockFilters === undefined)) {
      throw new Error(`transformer ${transformer.name} must have exactly one of transform and transformBlockFilters`);
    }
    byName.set(transformer.name, transformer);
  }
  for (const transformer of transformers) {
    for (const before of transformer.runsAfter) if (!byName.has(before)) throw new Error(`transformer ${transformer.name} runs after ${before}, which is not registered`);
  }
  const names = [...byName.keys()].sort();
  const hash = createHash("sha1");
  for (const name of names) hash.update(name).update(String(byName.get(name)!.writeVersion));
  const versionHash = hash.digest("base64");

  return {
    names: () => [...names],
    find: (name) => byName.get(name),
    findUnregistered: (requested) => requested.filter((name) => !byName.has(name)),
    stateReadingNames: () => names.filter((name) => byName.get(name)!.userStateFields.length > 0),
    writeVersionHash: () => versionHash,
    collect(structure) {
      for (const transformer of transformers) {
        structure.markCollectedBy(transformer.name, transformer.writeVersion);
        transformer.collect(structure);
      }
    },
    outdated(collected) {
      return names.filter((name) => byName.get(name)!.readVersion > (collected.transformers.get(name)?.version ?? 0));
    },
    resolve(requested) {
      const resolved: BlockStructureTransformer[] = [];
      requested.forEach((name, index) => {
        const field = `transformers[${index}]`;
        const transformer = byName.get(name);
        if (transformer === undefined) {
          throw invalidArgument("UNKNOWN_TRANSFORMER", field, `${JSON.stringify(name.slice(0, 100))} is not a registered transformer; registered: ${names.join(", ")}`, {
            name: name.slice(0, 100),
            registered: names.join(","),
          });
        }
        if (resolved.includes(transformer)) throw invalidArgument("DUPLICATE_TRANSFORMER", field, `${name} is named twice`, { name });
        for (const before of transformer.runsAfter) {
          const earlier = resolved.find((candidate) => candidate.name === before);
          if (earlier === undefined) {
            throw invalidArgument("TRANSFORMER_DEPENDENCY", field, `${name} needs ${before} named before it`, { name, needs: before });
          }
        }
        resolved.push(transformer);
      });
      return resolved;
    },
    transform(structure, usage, chosen) {
      const filters = chosen.flatMap((transformer) => transformer.transformBlockFilters?.(usage, structure) ?? []);
      if (filters.length > 0) {
        const keep = combineFilters(filters);
        structure.removeBlockTraversal((key) => !keep(key));
      }
      for (const transformer of chosen) transformer.transform?.(usage, structure);
      structure.pruneUnreachable();
    },
  };
}
