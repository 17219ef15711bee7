import type { CallLimits } from "./call-limits.js";
import type { HistoryPurgeRule, HistoryRetentionStore } from "./history-retention-store.js";

/**
 * How much history the operator keeps (HISTORY_MAX_ENTRIES_PER_BLOCK,
 * HISTORY_MAX_AGE_DAYS). Both null, the default, keeps everything. Whatever
 * the policy, the newest entry of every stored state is kept.
 */
export type HistoryRetentionPolicy = HistoryPurgeRule;

/** Whether `policy` ever removes anything (false for the default, which keeps everything). */
export function purgesHistory(policy: HistoryRetentionPolicy): boolean {
  return policy.keepNewest !== null || policy.maxAgeDays !== null;
}

/** What one run of {@link HistoryRetention.run} did. */
export interface RetentionRunReport {
  /** Entries deleted, per history part. */
  readonly purged: Readonly<Record<string, number>>;
  /** Entries examined, in all parts. */
  readonly examined: number;
  /** Statements sent (one per batch). */
  readonly batches: number;
  /** Whether the pass reached the end of every part; false when `shouldStop` ended the run early. */
  readonly completed: boolean;
}

/** What one batch did, and what the pass has left. */
export interface RetentionProgress {
  /** The history part the batch examined. */
  readonly part: string;
  /** Entries the batch deleted. */
  readonly purged: number;
  /** Entries (estimated from positions) the pass has yet to examine. */
  readonly backlog: bigint;
}

/** Enforces a retention policy over all history, one bounded batch at a time. */
export interface HistoryRetention {
  /**
   * Continues the current pass over every history entry that existed when the
   * pass began (a new pass begins where the last one completed), one batch of
   * at most `batchRows` entries per statement, until it completes or
   * `shouldStop()` says to stop between batches; an interrupted or failed run
   * is resumed by the next. Calls `onBatch` after every batch. Throws the
   * store's error when a batch fails; what earlier batches deleted stays
   * deleted (and was reported to `onBatch`).
   */
  run(call: CallLimits, shouldStop: () => boolean, onBatch: (progress: RetentionProgress) => void): Promise<RetentionRunReport>;
}

/** Creates the enforcement of `policy` over `store`'s history, examining `batchRows` entries per statement. */
export function createHistoryRetention(store: HistoryRetentionStore, policy: HistoryRetentionPolicy, batchRows: number): HistoryRetention {
  // Where the current pass stands in each part; a part absent here starts from its beginning.
  const examinedUpTo = new Map<string, bigint>();
  // The end of the current pass in each part, fixed when the pass begins, so
  // that a pass ends even while writers keep adding history.
  let passEnds: Map<string, bigint | null> | null = null;

  return {
    async run(call, shouldStop, onBatch) {
      if (passEnds === null) {
        passEnds = new Map((await store.historyParts(call)).map((part) => [part.name, part.lastPosition]));
        examinedUpTo.clear();
      }
      const ends = passEnds;
      const backlog = () => [...ends].reduce((sum, [name, end]) => sum + (end === null ? 0n : end - (examinedUpTo.get(name) ?? 0n)), 0n);
      const purged: Record<string, number> = {};
      let examined = 0;
      let batches = 0;
      for (const [name, end] of ends) {
        purged[name] = 0;
        while (end !== null && (examinedUpTo.get(name) ?? 0n) < end) {
          if (shouldStop()) return { purged, examined, batches, completed: false };
          const result = await store.purgeHistoryBatch(call, name, examinedUpTo.get(name) ?? null, end, batchRows, policy);
          batches += 1;
          examined += result.examined;
          purged[name] += result.purged;
          // Nothing left after the cursor: the rest of the part up to its end was deleted meanwhile.
          examinedUpTo.set(name, result.lastExamined ?? end);
          onBatch({ part: name, purged: result.purged, backlog: backlog() });
        }
      }
      passEnds = null;
      return { purged, examined, batches, completed: true };
    },
  };
}
