import { MikroORM } from "@mikro-orm/postgresql";
import type pg from "pg";
import type { BlockStructureStore } from "../domain/block-structure/index.js";
import type { CatalogStore } from "../domain/catalog/index.js";
import type { ChangeFeedStore } from "../domain/changes/index.js";
import type { HistoryRetentionStore, StateStore } from "../domain/state/index.js";
import { createBlockStructureRepository, defaultBlockStructureCacheBlocks } from "./block-structure/index.js";
import { createCatalogRepository } from "./catalog/index.js";
import { createChangeFeedRepository } from "./change-feed-repository.js";
import { createChangeSignals } from "./change-signals.js";
import { createDatabaseGuard, type BreakerState, type DatabaseGuardOptions } from "./database-guard.js";
import { createGuardedQueries } from "./guarded-queries.js";
import { createHistoryRetentionRepository } from "./history-retention-repository.js";
import { startDatabaseMonitor, type DatabaseCondition, type DatabaseMonitorOptions } from "./database-monitor.js";
import { parseDatabaseUrl } from "./database-url.js";
import { createHostSelector } from "./host-selector.js";
import { withMigrationLock, type MigrationLockOptions } from "./migration-lock.js";
import { applicationName, createOrmConfig, type OrmConfigOptions } from "./orm-config.js";
import { routeReads, type CallMethod } from "./route-reads.js";
import { openStandby, type StandbyState } from "./standby.js";
import { createStateRepository } from "./state-repository.js";
import { createWorkAdmission, type AdmissionFigures } from "./work-admission.js";

/** Options of {@link openStore}. */
export interface StoreOptions extends OrmConfigOptions, DatabaseGuardOptions {
  /** Most blocks of decoded block structures kept in memory (BLOCK_STRUCTURE_CACHE_BLOCKS); unset: {@link defaultBlockStructureCacheBlocks}. */
  readonly blockStructureCacheBlocks?: number;
  /** Hot standbys (URLs, each maybe with several hosts) that serve bulk reads, and the largest lag at which one still does; absent: none. */
  readonly standbys?: { readonly urls: readonly string[]; readonly maxLagMs: number };
  /** How often a server with watchers looks for changes other servers committed (CHANGE_FEED_DETECT_MS). */
  readonly changeDetectMs: number;
  /** Longest a new call's database work may be expected to wait for one of the pool's connections before it is refused as OVERLOADED (see work-admission.ts). */
  readonly admissionMaxWaitMs: number;
}

// Bulk reads, which may lag the primary a little: history and IterAll pages.
// GetMany, GetModDates and every write stay on the primary, so a learner
// always reads their own writes.
const standbyReadMethods: ReadonlyArray<CallMethod<StateStore>> = ["readHistoryPage", "readStatePage"];

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
  /** The change feed's reads (on the primary) and signals. */
  readonly changeFeedStore: ChangeFeedStore;
  /** History retention's view of the history tables. */
  readonly historyRetentionStore: HistoryRetentionStore;
  readonly catalogStore: CatalogStore;
  readonly blockStructureStore: BlockStructureStore;
  /** The OVERLOADED error a new call that needs the database gets at once, or null (see WorkAdmission.turnAway). */
  turnAway(): Error | null;
  /** What admission (work-admission.ts) is doing, for metrics. */
  admission(): AdmissionFigures;
  /** Calls `listener` with the milliseconds each admitted piece of database work waited for its turn; returns a function that stops it. */
  onAdmitted(listener: (waitedMs: number) => void): () => void;
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
  /**
   * Calls `listener` with the host (as DATABASE_URL writes it) whenever one is
   * chosen among several, or for a target_session_attrs: at the first
   * connection, and after a failover. Returns a function that stops it.
   */
  onHostChosen(listener: (host: string) => void): () => void;
  /** What is known of each standby, in the order they were given. */
  standbys(): StandbyState[];
  /** Calls `listener` whenever a standby starts or stops taking bulk reads; returns a function that stops it. */
  onStandbyChange(listener: (standby: StandbyState) => void): () => void;
  /** Stops the heartbeats and closes the pools; in-flight queries finish first. */
  close(): Promise<void>;
}

/**
 * Opens the store without touching the database (connections are made on
 * first use). Calls are refused (STORE_NOT_READY, UNAVAILABLE) until
 * {@link Store.migrate} has succeeded. Throws when a URL is malformed.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const hosts = createHostSelector(parseDatabaseUrl(options.databaseUrl), { connectTimeoutMs: options.connectTimeoutMs, applicationName });
  const orm = await MikroORM.init(createOrmConfig(options, hosts));
  // One bound on the server's database work, the primary's and the standbys' alike.
  const admission = createWorkAdmission({ limit: options.poolSize, maxWaitMs: options.admissionMaxWaitMs });
  const guard = createDatabaseGuard(options, admission);
  guard.hold("migrations", "STORE_NOT_READY", "the state database is not ready yet (connecting and migrating); retry later", 1000);
  const knex = orm.em.getKnex();
  // knex keeps its tarn pool on the client; it exists once a connection was made.
  const pool = () => (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  const { urls: standbyUrls = [], maxLagMs = 0 } = options.standbys ?? {};
  const standbys = await Promise.all(standbyUrls.map((url) => openStandby(url, { ...options, maxLagMs }, admission)));
  let ready = false;
  let monitor: ReturnType<typeof startDatabaseMonitor> | null = null;
  const conditionListeners = new Set<(condition: DatabaseCondition) => void>();
  const replicas = standbys.map((standby) => ({ port: standby.stateStore, usable: () => standby.state().usable }));
  const primaryQueries = createGuardedQueries(knex, guard);
  const changeSignals = createChangeSignals(primaryQueries, options.changeDetectMs);

  return {
    poolUsage: () => ({ used: pool()?.numUsed() ?? 0, free: pool()?.numFree() ?? 0, pending: pool()?.numPendingAcquires() ?? 0 }),
    stateStore: routeReads(createStateRepository(knex, guard, changeSignals), replicas, standbyReadMethods),
    changeFeedStore: createChangeFeedRepository(primaryQueries, changeSignals),
    historyRetentionStore: createHistoryRetentionRepository(knex, guard),
    catalogStore: createCatalogRepository(knex, guard),
    blockStructureStore: createBlockStructureRepository(knex, guard, { cacheBlocks: options.blockStructureCacheBlocks ?? defaultBlockStructureCacheBlocks }),
    turnAway: () => admission.turnAway(),
    admission: () => admission.figures(),
    onAdmitted: (listener) => admission.onAdmitted(listener),
    breakerState: () => guard.state(),
    onBreakerStateChange: (listener) => guard.onStateChange(listener),
    ready: () => ready,
    async migrate(lock) {
      // A session of its own, outside the pool (the embedded database's pool holds one connection).
      const session = await hosts.connect();
      try {
        const applied = await withMigrationLock(session, { ...lock, pollMs: 500 }, () => orm.getMigrator().up());
        ready = true;
        guard.release("migrations");
        return applied.map((migration) => migration.name);
      } finally {
        await session.end().catch(() => undefined);
      }
    },
    watch(monitorOptions) {
      monitor ??= startDatabaseMonitor<pg.Client>(
        {
          open: () => hosts.connect(),
          drop: (connection) => hosts.drop(connection),
          async beat(connection) {
            if (!(await hosts.serves(connection))) throw new Error("the database server is read-only");
          },
        },
        monitorOptions,
      );
      monitor.onChange((condition) => {
        if (condition === "silent" || condition === "down") {
          const why = condition === "silent" ? "does not answer" : "cannot be reached or is read-only";
          guard.hold("heartbeat", "STORE_UNAVAILABLE", `the state database ${why}; retry later`, monitorOptions.intervalMs);
          // Another of DATABASE_URL's hosts may be the primary now.
          hosts.reconsider();
        } else {
          guard.release("heartbeat");
        }
        for (const listener of conditionListeners) listener(condition);
      });
      for (const standby of standbys) standby.watch(monitorOptions);
    },
    condition: () => monitor?.condition() ?? "unknown",
    onConditionChange(listener) {
      conditionListeners.add(listener);
      return () => conditionListeners.delete(listener);
    },
    onHostChosen: (listener) => hosts.onChoice(listener),
    standbys: () => standbys.map((standby) => standby.state()),
    onStandbyChange(listener) {
      const stops = standbys.map((standby) => standby.onChange(listener));
      return () => stops.forEach((stop) => stop());
    },
    async close() {
      monitor?.stop();
      changeSignals.close();
      await Promise.all([orm.close(true), ...standbys.map((standby) => standby.close())]);
    },
  };
}
