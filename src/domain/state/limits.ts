/**
 * Per-call limits of the state rules. The server reads overrides from its
 * environment (see the README); the .proto comments state the defaults.
 */
export interface StateLimits {
  /** Block keys in one GetMany or GetModDates call. */
  readonly maxReadBlocks: number;
  /** Blocks in one SetMany or DeleteMany call. */
  readonly maxWriteBlocks: number;
  /** Names in one field selection, and fields in one block update. */
  readonly maxFieldsPerBlock: number;
  /** UTF-8 bytes of one field value's JSON text (larger: RESOURCE_EXHAUSTED). */
  readonly maxValueBytes: number;
  /** UTF-8 bytes of a block's whole state after a merge (larger: RESOURCE_EXHAUSTED, nothing written). */
  readonly maxStateBytes: number;
  /** Deepest nesting of arrays and objects in a field value. */
  readonly maxJsonDepth: number;
}

/** The limits a server has unless configured otherwise. */
export const defaultLimits: StateLimits = {
  maxReadBlocks: 10_000,
  maxWriteBlocks: 1_000,
  maxFieldsPerBlock: 1_000,
  maxValueBytes: 512 * 1024,
  maxStateBytes: 1024 * 1024,
  maxJsonDepth: 100,
};

/** Fixed sizes of the protocol, not meant to be tuned. */
export const fixedLimits = {
  /** Characters in a username (Django's `User.username` max_length). */
  maxUsernameLength: 150,
  /** Characters in a field name. */
  maxFieldNameLength: 255,
  /** Rows per IterAll* message when the caller asks for 0. */
  defaultBatchSize: 100,
  /** Rows per IterAll* message at most. */
  maxBatchSize: 1_000,
  /** Blocks per GetMany message, and history entries per GetHistory message. */
  blocksPerMessage: 100,
  /** Field times per GetModDates message. */
  modificationsPerMessage: 500,
} as const;
