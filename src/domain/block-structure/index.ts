// Open edX's block_structure framework: block graphs collected once per
// published version and transformed per learner by registered transformers.
export { createBlockStructure } from "./block-structure.js";
export type { BlockStructure, TraversalOptions } from "./block-structure.js";
export { createBlockStructureOperations } from "./block-structure-operations.js";
export type { BlockStructureOperations, StructureUpdate, TransformRequest, TransformedBlock, TransformedStructure } from "./block-structure-operations.js";
export type { BlockStructureStore, StoredStructure, StoredVersion, UserStateRequest, WriteOutcome } from "./block-structure-store.js";
export { blockStructureSchemaVersion, withoutCollectedData } from "./collected-structure.js";
export type { CollectedBlock, CollectedStructure, CollectedTransformerData, TransformerValue, XBlockFieldTexts } from "./collected-structure.js";
export { createDefaultTransformerRegistry, defaultTransformers, stateReadingTransformerNames } from "./default-registry.js";
export { decodeStructure, encodeStructure } from "./structure-codec.js";
export { readStructureInput, structureContextOf } from "./structure-input.js";
export type { BlockInput, StructureInput, StructureLimits } from "./structure-input.js";
export { combineFilters, universalFilter } from "./transformer.js";
export type { BlockStructureTransformer, TransformOptions, UsageInfo } from "./transformer.js";
export { createTransformerRegistry } from "./transformer-registry.js";
export type { TransformerRegistry } from "./transformer-registry.js";
export { traversePostOrder, traverseTopologically } from "./traversals.js";
export type { BlockFilter, TopologicalOptions } from "./traversals.js";
export { parseXBlockDate } from "./xblock-fields.js";
