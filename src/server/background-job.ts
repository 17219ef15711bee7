/** A job the server runs in the background, one run at a time. */
export interface BackgroundJob {
  /** Stops scheduling runs; resolves once a run in progress has ended (it is told through `stopping`). */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` (counted from the end of the last run, so
 * runs never overlap; the first one interval after start), skipping
 * intervals while the database is not ready. `run` gets `stopping()`, true
 * once the job is stopped, to end early; it handles its own errors.
 */
export function startBackgroundJob(intervalMs: number, databaseReady: () => boolean, run: (stopping: () => boolean) => Promise<void>): BackgroundJob {
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  function schedule(): void {
    timer = setTimeout(() => {
      if (!databaseReady()) {
        schedule();
        return;
      }
      running = run(() => stopping).finally(() => {
        running = null;
        if (!stopping) schedule();
      });
    }, intervalMs);
  }

  schedule();
  return {
    async stop() {
      stopping = true;
      if (timer !== null) clearTimeout(timer);
      await running;
    },
  };
}
