// Helpers for the unit tests of this folder: structures from a compact
// description. Not exported by index.ts.
import { defaultLimits } from "../state/index.js";
import { createBlockStructure, type BlockStructure } from "./block-structure.js";
import type { CollectedStructure } from "./collected-structure.js";
import { readStructureInput } from "./structure-input.js";
import type { TransformOptions, UsageInfo } from "./transformer.js";
import { createTransformerRegistry, type TransformerRegistry } from "./transformer-registry.js";
import type { BlockStructureTransformer } from "./transformer.js";

const course = "block-v1:Org+Course+Run";

/** The usage key of short name `type.id` in the test course. */
export function keyOf(name: string): string {
  const [type, id] = name.split(".");
  return `${course}+type@${type}+block@${id}`;
}

/** The short name `type.id` of a test course key. */
export function nameOf(key: string): string {
  const match = /\+type@([^+]+)\+block@(.+)$/u.exec(key);
  return `${match![1]}.${match![2]}`;
}

/**
 * A collected structure with nothing collected: `children` maps each block's
 * short name to its children's (the first entry is the root), `fields` its
 * XBlock fields as JSON values.
 */
export function graph(children: Record<string, string[]>, fields: Record<string, Record<string, unknown>> = {}): CollectedStructure {
  const names = new Set([...Object.keys(children), ...Object.values(children).flat()]);
  const blocks = [...names].map((name) => ({
    blockKey: keyOf(name),
    blockType: "",
    children: (children[name] ?? []).map(keyOf),
    fields: Object.fromEntries(Object.entries(fields[name] ?? {}).map(([field, value]) => [field, JSON.stringify(value)])),
  }));
  return readStructureInput({ rootBlockKey: keyOf(Object.keys(children)[0]!), blocks }, { ...defaultLimits, maxStructureBlocks: 1000 }).structure;
}

/** Options with nothing asked for. */
export const noOptions: TransformOptions = { blockTypesToCount: [], requestedDepth: null, navigationDepth: null };

/** A learner's usage: `state` maps short names to their stored state. */
export function usageOf(overrides: Partial<Omit<UsageInfo, "userStateOf">> & { state?: Record<string, Record<string, unknown>> } = {}): UsageInfo {
  const { state = {}, ...rest } = overrides;
  return {
    username: "learner",
    hasStaffAccess: false,
    nowMs: Date.UTC(2026, 5, 1),
    partitionGroups: new Map(),
    options: noOptions,
    userStateOf: (key, field) => state[nameOf(key)]?.[field],
    ...rest,
  };
}

/** Collects `input` with `transformers` and returns the registry and the collected structure. */
export function collectWith(input: CollectedStructure, transformers: readonly BlockStructureTransformer[]): { registry: TransformerRegistry; collected: CollectedStructure } {
  const registry = createTransformerRegistry(transformers);
  const structure = createBlockStructure(input);
  registry.collect(structure);
  return { registry, collected: structure.toCollected() };
}

/** Collects `input` with `transformers`, then transforms it for `usage` with all of them, and returns the structure. */
export function transformWith(input: CollectedStructure, transformers: readonly BlockStructureTransformer[], usage: UsageInfo): BlockStructure {
  const { registry, collected } = collectWith(input, transformers);
  const structure = createBlockStructure(collected);
  registry.transform(structure, usage, registry.resolve(transformers.map((transformer) => transformer.name)));
  return structure;
}

/** The short names of a structure's blocks in topological order. */
export function namesIn(structure: BlockStructure): string[] {
  return [...structure.topologicalTraversal()].map(nameOf);
}
