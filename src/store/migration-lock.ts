/** A session of its own for the lock: the lock lives exactly as long as it. */
export interface LockSession {
  query(sql: string, values?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** Options of {@link withMigrationLock}. */
export interface MigrationLockOptions {
  /** Longest wait for another process to finish its migrations. */
  readonly waitMs: number;
  /** How often to try again, and to report that it is still waiting. */
  readonly pollMs: number;
  /** Called while another process holds the lock, with the time waited so far. */
  readonly onWaiting: (waitedMs: number) => void;
}

// pg_advisory_lock(int, int) keys: "lsmg" and 1, for learnerstate's migrations.
const lockClass = 0x6c736d67;
const lockObject = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `migrate` while holding a session-level PostgreSQL advisory lock, so
 * that of any number of processes starting together one applies the
 * migrations and the others wait, then find nothing to apply. Throws when the
 * lock is not had within `waitMs`; the lock is released (unlock, or the
 * session's end) however `migrate` ends.
 */
export async function withMigrationLock<T>(session: LockSession, options: MigrationLockOptions, migrate: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const { rows } = await session.query("select pg_try_advisory_lock($1, $2) as locked", [lockClass, lockObject]);
    if (rows[0]?.["locked"] === true) break;
    const waited = Date.now() - started;
    if (waited >= options.waitMs) throw new Error(`another process has held the migration lock for ${waited} ms; giving up`);
    options.onWaiting(waited);
    await sleep(options.pollMs);
  }
  try {
    return await migrate();
  } finally {
    await session.query("select pg_advisory_unlock($1, $2)", [lockClass, lockObject]);
  }
}
