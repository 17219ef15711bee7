/** What the heartbeat last found. */
export type DatabaseCondition = "unknown" | "answering" | "silent" | "down";

/**
 * How the monitor reaches the database, over connections of the heartbeat's
 * own, outside the pool: busy calls never delay it.
 */
export interface HeartbeatLink<Connection> {
  /** Opens a new connection (it may hang on a silent database: the monitor bounds it). */
  open(): Promise<Connection>;
  /** Drops a connection at once, without a goodbye that a silent database would never answer. */
  drop(connection: Connection): void;
  /**
   * One heartbeat: a query that resolves when the database answered as it
   * should, and rejects when it answered otherwise (a primary found
   * read-only, say), which counts as "down".
   */
  beat(connection: Connection): Promise<void>;
}

/** Options of {@link startDatabaseMonitor}. */
export interface DatabaseMonitorOptions {
  /** Time between the end of one heartbeat and the start of the next. */
  readonly intervalMs: number;
  /** Longest a heartbeat (connecting included) may take before the database counts as silent. */
  readonly timeoutMs: number;
}

/** A running heartbeat. */
export interface DatabaseMonitor {
  condition(): DatabaseCondition;
  /** Calls `listener` whenever the condition changes; returns a function that stops it. */
  onChange(listener: (condition: DatabaseCondition) => void): () => void;
  stop(): void;
}

class HeartbeatTimeout extends Error {
  override readonly name = "HeartbeatTimeout";
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HeartbeatTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `link.beat` over a connection of its own every `intervalMs`. A
 * heartbeat that gets no answer within `timeoutMs` finds the database
 * "silent" (a frozen server or a network partition: sockets open, nothing
 * answers); one that fails at once finds it "down". Either way the
 * connection is dropped and a new one is opened for the next heartbeat.
 */
export function startDatabaseMonitor<Connection>(link: HeartbeatLink<Connection>, options: DatabaseMonitorOptions): DatabaseMonitor {
  let condition: DatabaseCondition = "unknown";
  let connection: Connection | null = null;
  let attempt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const listeners = new Set<(condition: DatabaseCondition) => void>();

  const become = (next: DatabaseCondition) => {
    if (next === condition) return;
    condition = next;
    for (const listener of listeners) listener(next);
  };

  async function probe(current: number): Promise<void> {
    if (connection === null) {
      const opened = await link.open();
      // A connection that opens after its heartbeat gave up belongs to nobody.
      if (current !== attempt || stopped) {
        link.drop(opened);
        throw new HeartbeatTimeout("opened too late");
      }
      connection = opened;
    }
    await link.beat(connection);
  }

  async function beat(): Promise<void> {
    const current = ++attempt;
    try {
      await within(probe(current), options.timeoutMs);
      become("answering");
    } catch (error) {
      attempt += 1;
      if (connection !== null) link.drop(connection);
      connection = null;
      become(error instanceof HeartbeatTimeout ? "silent" : "down");
    }
    if (!stopped) timer = setTimeout(() => void beat(), options.intervalMs);
  }
  void beat();

  return {
    condition: () => condition,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (connection !== null) link.drop(connection);
      connection = null;
    },
  };
}
