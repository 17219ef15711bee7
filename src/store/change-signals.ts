import type pg from "pg";
import type { CallLimits } from "../domain/state/index.js";
import { changeChannel, signalChangesSql } from "./change-feed-sql.js";
import type { GuardedQueries } from "./guarded-queries.js";
import type { HostSelector } from "./host-selector.js";

/** How long committed contexts are gathered before one NOTIFY statement tells other servers. */
const gatherMs = 20;
/** Pause before listening again after the listening connection failed. */
const relistenMs = 1000;

const backgroundWork: CallLimits = { deadlineMs: null, signal: null };

/** Signals of committed changes, by learning context ("" for none): this server's own at once, other servers' through LISTEN/NOTIFY. */
export interface ChangeSignals {
  /** Tells this server's listeners now, and other servers soon, that changes of `contexts` committed. */
  committed(contexts: Iterable<string>): void;
  /** Calls `listener` for every signal; the first listener starts listening to the database. Returns a function that stops it. */
  onCommitted(listener: (contextKey: string) => void): () => void;
  /** Stops listening. */
  close(): void;
}

/**
 * Signals sent outside the writes' transactions: a NOTIFY in a write would
 * make PostgreSQL serialise the commits of every write on its notification
 * queue lock. So a signal may be lost (a server stopping between its commit
 * and its NOTIFY, a listening connection that drops): readers also look for
 * themselves now and then (change-hub.ts).
 */
export function createChangeSignals(hosts: HostSelector, queries: GuardedQueries): ChangeSignals {
  const listeners = new Set<(contextKey: string) => void>();
  const pending = new Set<string>();
  let flushTimer: NodeJS.Timeout | null = null;
  let listening: pg.Client | null = null;
  let relistenTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const tell = (context: string) => {
    for (const listener of listeners) listener(context);
  };

  function flush(): void {
    flushTimer = null;
    const contexts = [...pending];
    pending.clear();
    // Lost signals are found by the readers' own polls.
    queries.run(backgroundWork, "read", (query) => query(signalChangesSql, [JSON.stringify(contexts)])).catch(() => undefined);
  }

  async function listen(): Promise<void> {
    relistenTimer = null;
    if (closed || listeners.size === 0) return;
    try {
      const client = await hosts.connect();
      const again = () => {
        if (listening !== client) return;
        listening = null;
        hosts.drop(client);
        if (!closed) relistenTimer ??= setTimeout(() => void listen(), relistenMs);
      };
      client.on("error", again);
      client.on("end", again);
      client.on("notification", (message) => tell(message.payload ?? ""));
      listening = client;
      await client.query(`listen ${changeChannel}`);
      if (closed) hosts.drop(client);
    } catch {
      listening = null;
      if (!closed) relistenTimer ??= setTimeout(() => void listen(), relistenMs);
    }
  }

  return {
    committed(contexts) {
      for (const context of contexts) {
        tell(context);
        pending.add(context);
      }
      if (pending.size > 0) flushTimer ??= setTimeout(flush, gatherMs);
    },
    onCommitted(listener) {
      listeners.add(listener);
      if (listening === null && relistenTimer === null && listeners.size === 1) void listen();
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      if (flushTimer !== null) clearTimeout(flushTimer);
      if (relistenTimer !== null) clearTimeout(relistenTimer);
      if (listening !== null) hosts.drop(listening);
      listening = null;
    },
  };
}
