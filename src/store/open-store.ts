import { MikroORM } from "@mikro-orm/postgresql";
import type { BlockStructureStore } from "../domain/block-structure/index.js";
import type { CatalogStore } from "../domain/catalog/index.js";
import type { HistoryRetentionStore, StateStore } from "../domain/state/index.js";
import { createBlockStructureRepository, defaultBlockStructureCacheBlocks } from "./block-structure/index.js";
import { createCatalogRepository } from "./catalog/index.js";
import { createDatabaseGuard, type BreakerState, type DatabaseGuardOptions } from "./database-guard.js";
import { createHistoryRetentionRepository } from "./history-retention-repository.js";
import { startDatabaseMonitor, type DatabaseCondition, type DatabaseMonitorOptions } from "./database-monitor.js";
import { withMigrationLock, type LockSession, type MigrationLockOptions } from "./migration-lock.js";
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

/** A pg client as knex makes it: the one object both the heartbeat and the migration lock use. */
interface RawConnection extends LockSession {
  readonly connection?: { readonly stream?: { destroy(): void } };
}

/** An open connection pool and the ports built on it. */
export interface Store {
  /** The pool's current use, for metrics. */
  poolUsage(): PoolUsage;
  readonly stateStore: StateStore;
  /** History retention's view of the history tables. */
  readonly historyRetentionStore: HistoryRetentionStore;
  readonly catalogStore: CatalogStore;
  readonly blockStructureStore: BlockStructureStore;
  /** The circuit breaker's state: "open" while database work is refused (also while held). */
  breakerState(): BreakerState;
  /** Calls `listener` on every breaker transition; returns a function that stops it. */
  onBreakerStateChange(listener: (state: BreakerState) => void): () => void;
  /** Whether the database's schema is migrated (by {@link migrate}); until then every call is refused as STORE_NOT_READY. */
  ready(): boolean;
  /**
   * Applies every pending migration under the migration lock (see
   * migration-lock.ts), then lets calls through; returns the names applied.
   * Throws when the database cannot be reached, or the lock not had in time.
   */
  migrate(lock: Omit<MigrationLockOptions, "pollMs">): Promise<string[]>;
  /**
   * Starts the heartbeat: while the database is silent or down, every call
   * is refused at once (STORE_UNAVAILABLE) instead of waiting for it.
   */
  watch(options: DatabaseMonitorOptions): void;
  /** What the heartbeat last found ("unknown" until it runs, and when it is not started). */
  condition(): DatabaseCondition;
  /** Calls `listener` whenever the heartbeat's finding changes; returns a function that stops it. */
  onConditionChange(listener: (condition: DatabaseCondition) => void): () => void;
  /** Stops the heartbeat and closes the pool; in-flight queries finish first. */
  close(): Promise<void>;
}

/**
 * Opens the store without touching the database (connections are made on
 * first use). Calls are refused (STORE_NOT_READY, UNAVAILABLE) until
 * {@link Store.migrate} has succeeded.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const orm = await MikroORM.init(createOrmConfig(options));
  const guard = createDatabaseGuard(options);
  guard.hold("migrations", "STORE_NOT_READY", "the state database is not ready yet (connecting and migrating); retry later", 1000);
  const knex = orm.em.getKnex();
  const client = knex.client as {
    pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number };
    acquireRawConnection(): Promise<RawConnection>;
    destroyRawConnection(connection: RawConnection): Promise<void>;
  };
  // knex keeps its tarn pool on the client; it exists once a connection was made.
  const pool = () => client.pool;
  let ready = false;
  let monitor: ReturnType<typeof startDatabaseMonitor> | null = null;
  const conditionListeners = new Set<(condition: DatabaseCondition) => void>();

  return {
    poolUsage: () => ({ used: pool()?.numUsed() ?? 0, free: pool()?.numFree() ?? 0, pending: pool()?.numPendingAcquires() ?? 0 }),
    stateStore: createStateRepository(knex, guard),
    historyRetentionStore: createHistoryRetentionRepository(knex, guard),
    catalogStore: createCatalogRepository(knex, guard),
    blockStructureStore: createBlockStructureRepository(knex, guard, { cacheBlocks: options.blockStructureCacheBlocks ?? defaultBlockStructureCacheBlocks }),
    breakerState: () => guard.state(),
    onBreakerStateChange: (listener) => guard.onStateChange(listener),
    ready: () => ready,
    async migrate(lock) {
      // A session of its own, outside the pool (the embedded database's pool holds one connection).
      const session = await client.acquireRawConnection();
      try {
        const applied = await withMigrationLock(session, { ...lock, pollMs: 500 }, () => orm.getMigrator().up());
        ready = true;
        guard.release("migrations");
        return applied.map((migration) => migration.name);
      } finally {
        await client.destroyRawConnection(session).catch(() => undefined);
      }
    },
    watch(monitorOptions) {
      monitor ??= startDatabaseMonitor(
        {
          open: () => client.acquireRawConnection(),
          drop: (connection) => (connection as RawConnection).connection?.stream?.destroy(),
        },
        monitorOptions,
      );
      monitor.onChange((condition) => {
        if (condition === "silent" || condition === "down") {
          const why = condition === "silent" ? "does not answer" : "cannot be reached";
          guard.hold("heartbeat", "STORE_UNAVAILABLE", `the state database ${why}; retry later`, monitorOptions.intervalMs);
        } else {
          guard.release("heartbeat");
        }
        for (const listener of conditionListeners) listener(condition);
      });
    },
    condition: () => monitor?.condition() ?? "unknown",
    onConditionChange(listener) {
      conditionListeners.add(listener);
      return () => conditionListeners.delete(listener);
    },
    async close() {
      monitor?.stop();
      await orm.close(true);
    },
  };
}
