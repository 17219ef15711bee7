export { addressBlock, contextsOfCourse } from "./block-address.js";
export type { BlockAddress } from "./block-address.js";
export type { CallLimits } from "./call-limits.js";
export { checkFieldName, checkFieldValue } from "./field-value.js";
export { defaultLimits, fixedLimits } from "./limits.js";
export type { StateLimits } from "./limits.js";
export { requireSupportedScope, supportedScopes } from "./scope.js";
export type { Scope } from "./scope.js";
export type {
  BlockWrite,
  FieldTexts,
  IterationFilter,
  Micros,
  PositionedState,
  StateStore,
  StoredHistoryEntry,
  StoredState,
} from "./state-store.js";
export { createUserStateOperations } from "./user-state-operations.js";
export type {
  BlockFields,
  BlocksOfLearner,
  IterationBatch,
  IterationRequest,
  ReturnedState,
  UserStateOperations,
} from "./user-state-operations.js";
export { checkUsername } from "./username.js";
