import type { Logger } from "pino";
import type { ChangeFeedStore } from "../domain/changes/index.js";
import { backgroundWork } from "../domain/state/index.js";
import { startBackgroundJob, type BackgroundJob } from "./background-job.js";

/** Options of {@link startChangeFeedRetentionJob}. */
export interface ChangeFeedRetentionJobOptions {
  readonly store: ChangeFeedStore;
  /** How long changes are kept. */
  readonly keepSeconds: number;
  /** Pause between the end of one run and the start of the next. */
  readonly intervalMs: number;
  /** Changes removed per statement. */
  readonly batchRows: number;
  readonly logger: Logger;
  /** Whether the database is ready (migrated): until it is, intervals pass without a run. */
  readonly databaseReady: () => boolean;
  /** Counts removed changes. */
  readonly onRemoved: (count: number) => void;
}

/**
 * Removes the change feed's changes older than its retention, in batches, one
 * run at a time. A failed run is logged and tried again at the next interval;
 * it never stops the server.
 */
export function startChangeFeedRetentionJob(options: ChangeFeedRetentionJobOptions): BackgroundJob {
  const { store, keepSeconds, intervalMs, batchRows, logger, databaseReady, onRemoved } = options;
  return startBackgroundJob(intervalMs, databaseReady, async (stopping) => {
    let removed = 0;
    try {
      for (;;) {
        const count = await store.removeOldChanges(backgroundWork, keepSeconds, batchRows);
        removed += count;
        onRemoved(count);
        if (count < batchRows || stopping()) break;
      }
      if (removed > 0) logger.info({ changeFeed: { removed, keepSeconds } }, `change feed retention: ${removed} changes removed`);
    } catch (error) {
      logger.warn({ err: error, changeFeed: { removed } }, "change feed retention run failed; the next run goes on");
    }
  });
}
