import type { Logger } from "pino";
import { backgroundWork, type HistoryRetention, type HistoryRetentionPolicy } from "../domain/state/index.js";
import { startBackgroundJob, type BackgroundJob } from "./background-job.js";
import type { Metrics } from "./metrics.js";

/** Options of {@link startHistoryRetentionJob}. */
export interface HistoryRetentionJobOptions {
  readonly retention: HistoryRetention;
  /** The policy it enforces, for its log lines. */
  readonly policy: HistoryRetentionPolicy;
  /** Pause between the end of one run and the start of the next; the first run starts one interval after start (once the database is ready). */
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Whether the database is ready (migrated): until it is, intervals pass without a run. */
  readonly databaseReady: () => boolean;
}

/**
 * Runs history retention in the background: one run at a time (the next is
 * scheduled only when the last has ended), each logged with what it did and
 * counted in the metrics. A failed run is logged and retried at the next
 * interval, resuming where it stopped; it never stops the server.
 */
export function startHistoryRetentionJob(options: HistoryRetentionJobOptions): BackgroundJob {
  const { retention, policy, intervalMs, metrics, logger, databaseReady } = options;

  async function runOnce(stopping: () => boolean): Promise<void> {
    const started = performance.now();
    let purged = 0;
    const elapsedMs = () => Math.round(performance.now() - started);
    try {
      const report = await retention.run(backgroundWork, stopping, (progress) => {
        purged += progress.purged;
        metrics.historyPurged.inc({ part: progress.part }, progress.purged);
        metrics.historyRetentionBacklog.set(Number(progress.backlog));
      });
      if (report.completed) metrics.historyRetentionBacklog.set(0);
      metrics.historyRetentionRuns.inc({ outcome: report.completed ? "completed" : "stopped" });
      logger.info({ retention: { policy, ...report, durationMs: elapsedMs() } }, `history retention run ${report.completed ? "finished" : "stopped"}: ${purged} entries purged`);
    } catch (error) {
      metrics.historyRetentionRuns.inc({ outcome: "failed" });
      logger.warn({ err: error, retention: { policy, purged, durationMs: elapsedMs() } }, "history retention run failed; the next run resumes where it stopped");
    } finally {
      metrics.historyRetentionDuration.observe(elapsedMs() / 1000);
    }
  }

  logger.info({ retention: { policy, intervalMs } }, "history retention job started");
  return startBackgroundJob(intervalMs, databaseReady, runOnce);
}
