export { Scope } from "../../gen/learnerstate/v1/scope_pb.js";
export { createLearnerStateClient } from "./learner-state-client.js";
export type { LearnerStateClient, LearnerStateClientOptions } from "./learner-state-client.js";
