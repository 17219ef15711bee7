import type { CallLimits } from "../state/index.js";
import type { StateChange } from "./state-change.js";

/** Changes read between two snapshots, how far the read got, and what retention has removed. */
export interface ChangesRead {
  /** In id order. */
  readonly changes: readonly StateChange[];
  /**
   * The last id the read looked at (the `afterId` it was given when it looked
   * at none): every change of the batch up to it is in this read or an
   * earlier one. The next read goes on after it.
   */
  readonly lastId: bigint;
  /** Whether no change of the batch is left after `lastId`. */
  readonly complete: boolean;
  /** Changes of transactions below this id were removed by retention (0: none), as of the same statement. */
  readonly removedBefore: bigint;
}

/** What the change feed needs from persistence. Reads go to the primary, whose snapshots positions are. */
export interface ChangeFeedStore {
  /** The database's snapshot now, in pg_snapshot's text form. */
  currentSnapshot(call: CallLimits): Promise<string>;
  /**
   * The changes of transactions finished in snapshot `to` but not in `from`
   * (the batch), of the learning contexts `contexts` (null: of all, and of
   * no context), among the next `limit` changes of those contexts with ids
   * above `afterId` (0: from the batch's first), in id order. A read costs
   * what it looks at, not the batch's length.
   */
  readChanges(call: CallLimits, contexts: readonly string[] | null, from: string, to: string, afterId: bigint, limit: number): Promise<ChangesRead>;
  /**
   * Calls `listener` with a learning context ("" for none) whenever changes
   * of it may have committed, on this server or, through the database,
   * another; returns a function that stops it. A signal may be late or lost:
   * readers also look for themselves now and then.
   */
  onCommitted(listener: (contextKey: string) => void): () => void;
  /**
   * Removes up to about `batchRows` of the oldest changes committed more than
   * `keepSeconds` ago, and raises the horizon below which resume positions
   * are refused (see ChangesRead.removedBefore); returns how many it removed.
   */
  removeOldChanges(call: CallLimits, keepSeconds: number, batchRows: number): Promise<number>;
}
