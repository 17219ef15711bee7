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
  /** IterAllForBlock, IterAllForCourse, WatchChanges: every learner's state (or changes) of a block or course. */
  bulkReadLearnerState: "learner_state:bulk_read",
  /** RetireLearner: erasing everything stored for a learner (learner retirement). */
  eraseLearnerState: "learner_state:erase",
  /** CatalogService's writes: organizations, catalog courses and course runs (shared data; org and course filters narrow it). */
  catalogWrite: "catalog:write",
  /**
   * UpdateCollected, ClearBlockStructure, GetCollected, IsUpToDate, and
   * GetTransformed staff views and previews: course content, staff-only and
   * unreleased parts included, never learners' data.
   */
  blockStructureWrite: "block_structure:write",
} as const;

/** One of the service's scopes. */
export type Capability = (typeof capabilities)[keyof typeof capabilities];

/** What the policy must know of a scope beyond its name. */
export interface CapabilityTraits {
  /** Whether calls under this scope change data (a `user:me` token may read data shared by all learners, never change it). */
  readonly changesData: boolean;
  /**
   * Whether the scope reaches learners' personal data: a token holding it must
   * also carry a filter saying whose or which data it is for.
   */
  readonly personal: boolean;
  /**
   * Whether calls under this scope erase a learner's data: every such call
   * is audited, whoever makes it, administrators included.
   */
  readonly erasesLearnerData: boolean;
}

/** The traits of every scope. */
export const capabilityTraits: Readonly<Record<Capability, CapabilityTraits>> = {
  [capabilities.readLearnerState]: { changesData: false, personal: true, erasesLearnerData: false },
  [capabilities.writeLearnerState]: { changesData: true, personal: true, erasesLearnerData: false },
  [capabilities.bulkReadLearnerState]: { changesData: false, personal: true, erasesLearnerData: false },
  [capabilities.eraseLearnerState]: { changesData: true, personal: true, erasesLearnerData: true },
  [capabilities.catalogWrite]: { changesData: true, personal: false, erasesLearnerData: false },
  [capabilities.blockStructureWrite]: { changesData: true, personal: false, erasesLearnerData: false },
};
