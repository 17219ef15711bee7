import type { BlockAddress } from "./block-address.js";
import type { CallLimits } from "./call-limits.js";
import type { Scope } from "./scope.js";

/** Microseconds since the Unix epoch, from the database clock. */
export type Micros = bigint;

/** Field name to the JSON text of its value. */
export type FieldTexts = Readonly<Record<string, string>>;

/** The current state of one block for one learner. */
export interface StoredState {
  readonly username: string;
  /** Canonical usage key. */
  readonly usageKey: string;
  readonly fields: FieldTexts;
  readonly modified: Micros;
}

/** A current state with its position in the stable iteration order. */
export interface PositionedState extends StoredState {
  /** Increases in the order states were first created; never reused. */
  readonly position: bigint;
}

/** One entry of a block's history. */
export interface StoredHistoryEntry {
  /** Increases with every write; newest entries have the largest. */
  readonly position: bigint;
  /** The state after the write; null when the write deleted the state. */
  readonly fields: FieldTexts | null;
  readonly modified: Micros;
}

/** One block to write: its address and the JSON object text of the fields to overlay. */
export interface BlockWrite {
  readonly address: BlockAddress;
  readonly stateJson: string;
}

/** Which states an iteration walks. */
export type IterationFilter =
  | { readonly kind: "block"; readonly scope: Scope; readonly usageKey: string }
  | { readonly kind: "course"; readonly scope: Scope; readonly contextKeys: readonly string[]; readonly blockType: string | null };

/**
 * What the state rules need from persistence. Implementations raise
 * `LearnerStateError` of kind "unavailable" when the database cannot be
 * reached and never return partial writes: every method that writes is atomic.
 */
export interface StateStore {
  /**
   * The states among `usageKeys` that exist, in the order of `usageKeys`, with
   * only `fieldNames` when given (a block with none of them comes back with no
   * fields). One query.
   */
  readStates(call: CallLimits, username: string, scope: Scope, usageKeys: readonly string[], fieldNames: readonly string[] | null): Promise<StoredState[]>;

  /**
   * Overlays each write on the stored state (creating it when absent), records
   * one history entry per block, and returns each block's new modification
   * time in the order of `writes`. One statement. If any block's state would
   * exceed `maxStateBytes` of JSON text after the merge, nothing is written and
   * it throws "resource-exhausted" (STATE_TOO_LARGE) naming that block.
   */
  writeStates(call: CallLimits, username: string, scope: Scope, writes: readonly BlockWrite[], maxStateBytes: number): Promise<Micros[]>;

  /** Deletes the whole state of each block that has one, recording a deletion in its history. */
  deleteStates(call: CallLimits, username: string, scope: Scope, usageKeys: readonly string[]): Promise<void>;

  /**
   * Removes `fieldNames` from each block that has any of them, deleting blocks
   * left empty, and records one history entry per changed block.
   */
  deleteFields(call: CallLimits, username: string, scope: Scope, usageKeys: readonly string[], fieldNames: readonly string[]): Promise<void>;

  /**
   * For each existing block among `usageKeys` (in that order) and each of its
   * fields (by name, only `fieldNames` when given): when the field was last written.
   */
  readFieldTimes(
    call: CallLimits,
    username: string,
    scope: Scope,
    usageKeys: readonly string[],
    fieldNames: readonly string[] | null,
  ): Promise<Array<{ usageKey: string; fieldName: string; modified: Micros }>>;

  /** Up to `limit` history entries older than `before` (null: the newest), newest first. */
  readHistory(call: CallLimits, username: string, scope: Scope, usageKey: string, before: bigint | null, limit: number): Promise<StoredHistoryEntry[]>;

  /** Up to `limit` current states matching `filter` after position `after` (null: the first), by position. */
  readPositionedStates(call: CallLimits, filter: IterationFilter, after: bigint | null, limit: number): Promise<PositionedState[]>;
}
