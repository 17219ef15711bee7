export { addressBlock, contextsOfCourse } from "./block-address.js";
export type { BlockAddress } from "./block-address.js";
export { backgroundWork } from "./call-limits.js";
export type { CallLimits } from "./call-limits.js";
export { checkFieldName, checkFieldValue } from "./field-value.js";
export { createHistoryRetention, purgesHistory } from "./history-retention.js";
export type { HistoryRetention, HistoryRetentionPolicy, RetentionProgress, RetentionRunReport } from "./history-retention.js";
export type { HistoryPart, HistoryPurgeRule, HistoryRetentionStore, PurgeBatchResult } from "./history-retention-store.js";
export { defaultLimits, fixedLimits } from "./limits.js";
export type { StateLimits } from "./limits.js";
export { scopeKeyings } from "./scope.js";
export type { Scope, ScopeKeying } from "./scope.js";
export type { StateLocation } from "./state-location.js";
export type {
  BlockToRead,
  BlockWrite,
  FieldTexts,
  IterationFilter,
  LearnerErasure,
  Micros,
  PositionedState,
  StateStore,
  StoredState,
} from "./state-store.js";
export { createUserStateOperations } from "./user-state-operations.js";
export type {
  BlockFields,
  BlocksOfLearner,
  BlocksToDelete,
  IterationRequest,
  UserStateOperations,
} from "./user-state-operations.js";
export { checkUsername } from "./username.js";
export { forEachStateField, splitStateJson } from "./state-json.js";
export { boundsPerRow, pageOfStates, statesOfPage, withKey } from "./state-page.js";
export { nextPageRows, pageSizing } from "./page-sizing.js";
export type { StatePage } from "./state-page.js";
export type { StateFieldSink } from "./state-json.js";
export { etagLength, etagOf, writeEtag } from "./etag.js";
export type { StateVersion } from "./etag.js";
export { StateChangedError, checkPrecondition, writeConditions } from "./preconditions.js";
export type { BlockEtag, KeyPrecondition, Precondition, RequestedPrecondition, WriteConditions } from "./preconditions.js";
export { checkBlockType } from "./block-type.js";
