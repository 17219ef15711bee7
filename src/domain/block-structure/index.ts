// Open edX's block_structure framework: block graphs collected once per
// published version and transformed per learner by registered transformers.
export { createBlockStructureOperations } from "./block-structure-operations.js";
export type { BlockStructureOperations, TransformedBlock } from "./block-structure-operations.js";
export type { BlockStructureStore, StoredVersion, WriteOutcome } from "./block-structure-store.js";
export type { CollectedBlock, CollectedStructure, TransformerValue } from "./collected-structure.js";
export { createDefaultTransformerRegistry, stateReadingTransformerNames } from "./default-registry.js";
export { decodeStructure, encodeStructure } from "./structure-codec.js";
