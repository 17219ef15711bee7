/** Per-call limits. The .proto comments state the same numbers; change both together. */
export const limits = {
  /** Block keys in one GetMany or GetModDates call. */
  maxReadBlocks: 10_000,
  /** Blocks in one SetMany or DeleteMany call. */
  maxWriteBlocks: 1_000,
  /** Characters in a username (Django's `User.username` max_length). */
  maxUsernameLength: 150,
  /** Characters in a field name. */
  maxFieldNameLength: 255,
  /** Names in one field selection, and fields in one block update. */
  maxFieldsPerBlock: 1_000,
  /** Rows per IterAll* message when the caller asks for 0. */
  defaultBatchSize: 100,
  /** Rows per IterAll* message at most. */
  maxBatchSize: 1_000,
  /** Blocks per GetMany message, and history entries per GetHistory message. */
  blocksPerMessage: 100,
  /** Field times per GetModDates message. */
  modificationsPerMessage: 500,
} as const;
