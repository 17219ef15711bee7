import type { Logger } from "pino";
import type { Store } from "../store/index.js";

/** Options of {@link bringUpDatabase}. */
export interface BringUpOptions {
  /** Longest wait between two attempts; waits double from 250 ms up to it. */
  readonly retryMaxMs: number;
  /** Longest wait for another process's migrations (the migration lock). */
  readonly migrationLockWaitMs: number;
  /** The heartbeat to start once the database is ready; null for none (the embedded database). */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | null;
}

const firstRetryMs = 250;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * Connects and migrates (under the migration lock), trying again with
 * back-off for as long as it takes or until `signal` aborts, then starts the
 * heartbeat. The server listens meanwhile and refuses state calls with
 * UNAVAILABLE. Resolves true once the database is ready, false if stopped first.
 */
export async function bringUpDatabase(store: Store, options: BringUpOptions, logger: Logger, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      const applied = await store.migrate({
        waitMs: options.migrationLockWaitMs,
        onWaiting: (waitedMs) => logger.info({ waitedMs }, "waiting for the migration lock: another process is applying migrations"),
      });
      if (options.heartbeat !== null) store.watch(options.heartbeat);
      logger.info({ migrations: applied }, applied.length > 0 ? `database ready: applied ${applied.join(", ")}` : "database ready: schema up to date");
      return true;
    } catch (error) {
      const retryInMs = Math.min(options.retryMaxMs, firstRetryMs * 2 ** Math.min(attempt, 20));
      logger.warn({ err: error, attempt: attempt + 1, retryInMs }, "database not ready (cannot connect or migrate); trying again");
      await sleep(retryInMs, signal);
    }
  }
  return false;
}
