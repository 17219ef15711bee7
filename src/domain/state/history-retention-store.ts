import type { CallLimits } from "./call-limits.js";

/**
 * Which history entries a purge removes. Entries are grouped by the stored
 * state they belong to (owner, scope, key); the newest entry of a state is
 * never removed, so a state that ever existed always has history.
 */
export interface HistoryPurgeRule {
  /** Remove entries that have at least this many newer entries of their state; null: no bound. At least 1. */
  readonly keepNewest: number | null;
  /** Remove entries written more than this many days ago that have a newer entry of their state; null: no bound. */
  readonly maxAgeDays: number | null;
}

/** One history table and how far it reaches now. */
export interface HistoryPart {
  /** The part's name, for logs and metrics (for example "user_state"). */
  readonly name: string;
  /** The largest position in it now; null when it is empty. */
  readonly lastPosition: bigint | null;
}

/** What one purge batch did. */
export interface PurgeBatchResult {
  /** The largest position the batch examined; null when there was nothing after `after`. */
  readonly lastExamined: bigint | null;
  /** Entries it examined. */
  readonly examined: number;
  /** Entries it deleted. */
  readonly purged: number;
}

/**
 * What history retention needs from persistence. History is kept in one or
 * more parts (tables), each with positions that only grow. Implementations
 * never wait for, nor take, a lock a writer of current state would wait on,
 * and raise `LearnerStateError` of kind "unavailable" when the database
 * cannot be reached.
 */
export interface HistoryRetentionStore {
  /** Every history part, with its largest position now. */
  historyParts(call: CallLimits): Promise<HistoryPart[]>;

  /**
   * Examines up to `limit` entries of part `part` with positions after `after`
   * (null: from the start) and at most `upTo`, in position order, and deletes
   * those `rule` removes, skipping entries another transaction has locked (a
   * later pass examines them again). One short statement.
   */
  purgeHistoryBatch(call: CallLimits, part: string, after: bigint | null, upTo: bigint, limit: number, rule: HistoryPurgeRule): Promise<PurgeBatchResult>;
}
