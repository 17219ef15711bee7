// The learnerstate client for TypeScript and JavaScript (`learnerstate/client`).
export * from "../../gen/learnerstate/v1/block_structure_pb.js";
export * from "../../gen/learnerstate/v1/block_structure_service_pb.js";
export * from "../../gen/learnerstate/v1/catalog_pb.js";
export * from "../../gen/learnerstate/v1/catalog_service_pb.js";
export * from "../../gen/learnerstate/v1/key_service_pb.js";
export * from "../../gen/learnerstate/v1/scope_pb.js";
export * from "../../gen/learnerstate/v1/user_state_pb.js";
export * from "../../gen/learnerstate/v1/user_state_service_pb.js";
export type { ErrorInfo } from "./error-details.js";
export {
  ChangeFeedExpired,
  ChangeFeedLost,
  ChangeFeedPositionUnknown,
  DoesNotExist,
  FailedPrecondition,
  InvalidArgument,
  LearnerStateError,
  OutcomeUnknown,
  Overloaded,
  PermissionDenied,
  ResourceExhausted,
  ServiceUnavailable,
  StateChanged,
  learnerStateErrorOf,
} from "./errors.js";
export { createLearnerStateClient } from "./learner-state-client.js";
export type { LearnerStateClient, LearnerStateClientOptions, VersionedState, WriteCondition, WriteResult } from "./learner-state-client.js";
export type { RetryPolicy } from "./call-retry.js";
export type { ResumePolicy } from "./resumable-stream.js";
export { createLearnerStateServices, transportOf } from "./service-clients.js";
export type { ConnectionOptions, LearnerStateServices } from "./service-clients.js";
