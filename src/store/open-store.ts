import { MikroORM } from "@mikro-orm/postgresql";
import type { BlockStructureStore } from "../domain/block-structure/index.js";
import type { StateStore } from "../domain/state/index.js";
import { createBlockStructureRepository, defaultBlockStructureCacheBlocks } from "./block-structure/index.js";
import { createDatabaseGuard, type BreakerState, type DatabaseGuardOptions } from "./database-guard.js";
import { createOrmConfig, type OrmConfigOptions } from "./orm-config.js";
import { createStateRepository } from "./state-repository.js";

/** Options of {@link openStore}. */
export interface StoreOptions extends OrmConfigOptions, DatabaseGuardOptions {
  /** Most blocks of decoded block structures kept in memory (BLOCK_STRUCTURE_CACHE_BLOCKS); unset: {@link defaultBlockStructureCacheBlocks}. */
  readonly blockStructureCacheBlocks?: number;
}

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
  readonly blockStructureStore: BlockStructureStore;
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
    blockStructureStore: createBlockStructureRepository(knex, guard, { cacheBlocks: options.blockStructureCacheBlocks ?? defaultBlockStructureCacheBlocks }),
    breakerState: () => guard.state(),
    onBreakerStateChange: (listener) => guard.onStateChange(listener),
    async migrate() {
      const applied = await orm.getMigrator().up();
      return applied.map((migration) => migration.name);
    },
    close: () => orm.close(true),
  };
}
