export { createLearnerStateClient } from "./learner-state-client.js";
export type { LearnerStateClient, LearnerStateClientOptions } from "./learner-state-client.js";
