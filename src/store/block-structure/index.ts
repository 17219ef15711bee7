export { BlockStructureRow } from "./block-structure-row.js";
export { createBlockStructureRepository, defaultBlockStructureCacheBlocks } from "./block-structure-repository.js";
export type { BlockStructureRepositoryOptions } from "./block-structure-repository.js";
