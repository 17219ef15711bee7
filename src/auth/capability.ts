/**
 * The service's OAuth scopes. A token that is not an administrator may make
 * only the calls its `scopes` claim grants; the contract's comments and the
 * README name the scope of every RPC.
 */
export const capabilities = {
  /** GetMany, GetModDates, GetHistory: one learner's state at a time. */
  readLearnerState: "learner_state:read",
  /** SetMany, DeleteMany. */
  writeLearnerState: "learner_state:write",
  /** IterAllForBlock, IterAllForCourse: every learner's state of a block or course. */
  bulkReadLearnerState: "learner_state:bulk_read",
  /** Erasing everything stored for a learner (learner retirement). */
  eraseLearnerState: "learner_state:erase",
} as const;

/** One of the service's scopes. */
export type Capability = (typeof capabilities)[keyof typeof capabilities];
