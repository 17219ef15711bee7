import { backgroundWork } from "../domain/state/index.js";
import { committedSinceSql, currentSnapshotSql } from "./change-feed-sql.js";
import type { GuardedQueries } from "./guarded-queries.js";

/** Signals of committed changes, by learning context ("" for none). */
export interface ChangeSignals {
  /**
   * Tells this server's listeners now that changes of the learning contexts
   * `contextsOf` gives committed (this server's own writes); `contextsOf` is
   * called only when someone listens, so a write pays nothing otherwise.
   */
  committed(contextsOf: () => Iterable<string>): void;
  /**
   * Calls `listener` for every signal: this server's writes at once, other
   * servers' within `detectMs`. While there are listeners, the server looks
   * for changes committed elsewhere. Returns a function that stops it.
   */
  onCommitted(listener: (contextKey: string) => void): () => void;
  /** Stops looking. */
  close(): void;
}

/**
 * Signals without LISTEN/NOTIFY: a NOTIFY inside a write would make
 * PostgreSQL serialise the commits of all writes (its notification queue
 * lock is held through the commit), and one sent after the commit would cost
 * every writing server a round trip per burst even with nobody watching, and
 * be lost if the server stopped in between. Instead, while this server has
 * watchers, one statement every `detectMs` asks which learning contexts have
 * changes committed since its last look (an index range on the changes'
 * transaction ids): one query per server, whatever the number of courses and
 * watchers. This server's own writes are signalled at once.
 */
export function createChangeSignals(queries: GuardedQueries, detectMs: number): ChangeSignals {
  const listeners = new Set<(contextKey: string) => void>();
  let timer: NodeJS.Timeout | null = null;
  // Each run of looks has a number: a look that ends after its run was stopped schedules nothing.
  let run = 0;
  let lastLook: string | null = null;

  const tell = (context: string) => {
    for (const listener of listeners) listener(context);
  };

  async function look(ofRun: number): Promise<void> {
    try {
      if (lastLook === null) {
        const [row] = await queries.run(backgroundWork, "read", (query) => query<{ snapshot: string }>(currentSnapshotSql, []));
        if (ofRun === run) lastLook = row!.snapshot;
      } else {
        const since = lastLook;
        const [row] = await queries.run(backgroundWork, "read", (query) => query<{ now: string; contexts: string[] }>(committedSinceSql, [since, since]));
        if (ofRun === run) {
          lastLook = row!.now;
          row!.contexts.forEach(tell);
        }
      }
    } catch {
      // Looked again at the next tick; the readers also look for themselves now and then.
    } finally {
      if (ofRun === run) timer = setTimeout(() => void look(ofRun), detectMs);
    }
  }

  const stop = () => {
    run += 1;
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  return {
    committed(contextsOf) {
      if (listeners.size === 0) return;
      for (const context of new Set(contextsOf())) tell(context);
    },
    onCommitted(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        stop();
        lastLook = null;
        const ofRun = run;
        timer = setTimeout(() => void look(ofRun), 0);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
