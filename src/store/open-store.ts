import { MikroORM } from "@mikro-orm/postgresql";
import type { HistoryRetentionStore, StateStore } from "../domain/state/index.js";
import { createDatabaseGuard, type BreakerState, type DatabaseGuardOptions } from "./database-guard.js";
import { createHistoryRetentionRepository } from "./history-retention-repository.js";
import { createOrmConfig, type OrmConfigOptions } from "./orm-config.js";
import { createStateRepository } from "./state-repository.js";

/** Options of {@link openStore}. */
export interface StoreOptions extends OrmConfigOptions, DatabaseGuardOptions {}

/** How the connection pool is used right now. */
export interface PoolUsage {
  readonly used: number;
  readonly free: number;
  /** Calls waiting for a connection. */
  readonly pending: number;
}

/** An open connection pool and the ports built on it. */
export interface Store {
  /** The pool's current use, for metrics. */
  poolUsage(): PoolUsage;
  readonly stateStore: StateStore;
  /** History retention's view of the history tables. */
  readonly historyRetentionStore: HistoryRetentionStore;
  /** The circuit breaker's state: "open" while database work is refused. */
  breakerState(): BreakerState;
  /** Calls `listener` on every breaker transition; returns a function that stops it. */
  onBreakerStateChange(listener: (state: BreakerState) => void): () => void;
  /** Applies every pending migration; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Closes the pool; in-flight queries finish first. */
  close(): Promise<void>;
}

/** Opens the pool (connections are made lazily, on first use). */
export async function openStore(options: StoreOptions): Promise<Store> {
  const orm = await MikroORM.init(createOrmConfig(options));
  const guard = createDatabaseGuard(options);
  const knex = orm.em.getKnex();
  // knex keeps its tarn pool on the client; it exists once a connection was made.
  const pool = () => (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  return {
    poolUsage: () => ({ used: pool()?.numUsed() ?? 0, free: pool()?.numFree() ?? 0, pending: pool()?.numPendingAcquires() ?? 0 }),
    stateStore: createStateRepository(knex, guard),
    historyRetentionStore: createHistoryRetentionRepository(knex, guard),
    breakerState: () => guard.state(),
    onBreakerStateChange: (listener) => guard.onStateChange(listener),
    async migrate() {
      const applied = await orm.getMigrator().up();
      return applied.map((migration) => migration.name);
    },
    close: () => orm.close(true),
  };
}
