import type { CallLimits } from "./call-limits.js";
import type { StateVersion } from "./etag.js";
import type { WriteConditions } from "./preconditions.js";
import type { Scope } from "./scope.js";
import type { StateLocation } from "./state-location.js";
import type { StatePage } from "./state-page.js";

/** Microseconds since the Unix epoch, from the database clock. */
export type Micros = bigint;

/** Field name to the JSON text of its value. */
export type FieldTexts = Readonly<Record<string, string>>;

/** A block whose state is read: the key it is stored under, and the block key as the caller spelled it (what the answer names). */
export interface BlockToRead {
  readonly key: string;
  readonly spelling: string;
}

/** One stored state. */
export interface StoredState {
  /** Whose state it is: the learner's username, or "" for state shared by all learners. */
  readonly username: string;
  /** The key the state is stored under (see {@link StateLocation.key}): for user_state, the canonical usage key. */
  readonly usageKey: string;
  /**
   * The state's fields as one JSON object's text, as PostgreSQL prints a
   * jsonb: each field's value is a slice of it (see state-json.ts), so values
   * pass through without being parsed and printed again.
   */
  readonly stateJson: string;
  readonly modified: Micros;
}

/** A current state with its position in the stable iteration order (with `modified`, its version: see etag.ts). */
export interface PositionedState extends StoredState {
  /** Increases in the order states were first created; never reused. */
  readonly position: bigint;
}

/** One state to write: where it is stored and the JSON object text of the fields to overlay. */
export interface BlockWrite {
  readonly location: StateLocation;
  readonly stateJson: string;
}

/** Which states an iteration walks. */
export type IterationFilter =
  | {
      readonly kind: "block";
      readonly scope: Scope;
      /** The canonical usage key the caller named. */
      readonly usageKey: string;
      /** The key the states are stored under (the usage key, or for preferences its block type). */
      readonly key: string;
    }
  | { readonly kind: "course"; readonly scope: Scope; readonly contextKeys: readonly string[]; readonly blockType: string | null };

/** What erasing a learner removed. */
export interface LearnerErasure {
  /** Current states of scope user_state. */
  readonly userStates: number;
  /** Current states of scope preferences. */
  readonly preferences: number;
  /** Current states of scope user_info. */
  readonly userInfos: number;
  /** History entries of those three scopes. */
  readonly historyEntries: number;
}

/**
 * What the state rules need from persistence. States are keyed by owner (a
 * learner's username, or "" for state shared by all learners), scope, and the
 * key the scope stores them under ({@link StateLocation.key}). Implementations
 * raise `LearnerStateError` of kind "unavailable" when the database cannot be
 * reached and never return partial writes: every method that writes is atomic.
 */
export interface StateStore {
  /**
   * The states `blocks` reach that exist: one row per block whose key has a
   * state (blocks that share a key each get it), in the order of `blocks`,
   * under the block's spelling, with only `fieldNames` when given (a state
   * with none of them comes back with no fields). One query.
   */
  readStates(call: CallLimits, owner: string, scope: Scope, blocks: readonly BlockToRead[], fieldNames: readonly string[] | null): Promise<StatePage>;

  /**
   * Overlays each write on the stored state (creating it when absent), records
   * one history entry and one change per state, and returns each state's new
   * version in the order of `writes`, whose keys are distinct. One statement.
   * If any state would exceed `maxStateBytes` of JSON text after the merge,
   * nothing is written and it throws "resource-exhausted" (STATE_TOO_LARGE)
   * naming that state's key.
   *
   * With `conditions`: in one transaction, the states they name are locked
   * (a missing one is held absent until the end) and judged first; the
   * judge's error, if any, is thrown and nothing is written.
   */
  writeStates(
    call: CallLimits,
    owner: string,
    scope: Scope,
    writes: readonly BlockWrite[],
    maxStateBytes: number,
    conditions: WriteConditions | null,
  ): Promise<StateVersion[]>;

  /** Deletes each of the states that exists, recording a deletion in its history and a change; `conditions` as in writeStates. */
  deleteStates(call: CallLimits, owner: string, scope: Scope, keys: readonly string[], conditions: WriteConditions | null): Promise<void>;

  /**
   * Removes `fieldNames` from each state that has any of them, deleting states
   * left empty, and records one history entry and one change per changed
   * state; `conditions` as in writeStates.
   */
  deleteFields(
    call: CallLimits,
    owner: string,
    scope: Scope,
    keys: readonly string[],
    fieldNames: readonly string[],
    conditions: WriteConditions | null,
  ): Promise<void>;

  /**
   * For each of `blocks` (in that order) whose state exists, and each of its
   * fields (by name, only `fieldNames` when given): when the field was last
   * written, under the block key as the caller spelled it. Blocks with no
   * state, or none of the named fields, give nothing. One query.
   */
  readFieldTimes(
    call: CallLimits,
    owner: string,
    scope: Scope,
    blocks: readonly BlockToRead[],
    fieldNames: readonly string[] | null,
  ): Promise<Array<{ usageKey: string; fieldName: string; modified: Micros }>>;

  /**
   * Up to `limit` history entries of one state older than `before` (null:
   * the newest), newest first, as bytes: a page whose rows have the owner,
   * the stored key, the state after the write (bounds -1 for a deletion),
   * the entry's position and its time.
   */
  readHistoryPage(call: CallLimits, owner: string, scope: Scope, key: string, before: bigint | null, limit: number): Promise<StatePage>;

  /** Up to `limit` current states matching `filter` after position `after` (null: the first), by position, as bytes. */
  readStatePage(call: CallLimits, filter: IterationFilter, after: bigint | null, limit: number): Promise<StatePage>;

  /**
   * Deletes every state `username` owns, in every scope and course, and all
   * their history, in one statement; returns what it deleted (all zero when
   * there was nothing).
   */
  eraseLearner(call: CallLimits, username: string): Promise<LearnerErasure>;
}
