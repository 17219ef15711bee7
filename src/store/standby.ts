import { MikroORM } from "@mikro-orm/postgresql";
import type pg from "pg";
import type { StateStore } from "../domain/state/index.js";
import { createDatabaseGuard, type DatabaseGuardOptions } from "./database-guard.js";
import { startDatabaseMonitor, type DatabaseMonitor, type DatabaseMonitorOptions } from "./database-monitor.js";
import { parseDatabaseUrl } from "./database-url.js";
import { createHostSelector } from "./host-selector.js";
import { applicationName, createOrmConfig, type OrmConfigOptions } from "./orm-config.js";
import { createStateRepository } from "./state-repository.js";
import type { WorkAdmission } from "./work-admission.js";

/** Options of {@link openStandby}. */
export interface StandbyOptions extends Omit<OrmConfigOptions, "databaseUrl">, DatabaseGuardOptions {
  /** Largest replication lag at which the standby still takes reads. */
  readonly maxLagMs: number;
}

/** What is known of a standby now. */
export interface StandbyState {
  /** Its host list, `host:port[,host:port]` (never credentials). */
  readonly name: string;
  /** Whether it takes reads: its heartbeat answers, it lags no more than allowed, and its breaker is closed. */
  readonly usable: boolean;
  /** Its replication lag at the last heartbeat, in milliseconds; null when unknown (never measured, or it never replayed anything). */
  readonly lagMs: number | null;
}

/** A hot standby with a pool of its own, and the state reads it can serve. */
export interface Standby {
  readonly stateStore: StateStore;
  state(): StandbyState;
  /** Starts its heartbeat, which also measures its lag; until then it is not usable. */
  watch(options: DatabaseMonitorOptions): void;
  /** Calls `listener` whenever it becomes usable or stops being usable; returns a function that stops it. */
  onChange(listener: (state: StandbyState) => void): () => void;
  close(): Promise<void>;
}

// The usual measure: nothing to replay means no lag; otherwise the age of
// the last transaction replayed. A server not in recovery is its own primary.
const lagSql = `
  select case when not pg_is_in_recovery() then 0
              when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
              else (extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::bigint
         end::text as lag_ms`;

/**
 * Opens a pool on the standby at `url` (without connecting yet). Its reads
 * run under a guard of its own, so a failing standby never opens the
 * primary's breaker, and are admitted by the server's one `admission`. Throws when `url` is malformed.
 */
export async function openStandby(url: string, options: StandbyOptions, admission: WorkAdmission): Promise<Standby> {
  const parsed = parseDatabaseUrl(url);
  const hosts = createHostSelector(parsed, { connectTimeoutMs: options.connectTimeoutMs, applicationName });
  const orm = await MikroORM.init(createOrmConfig(options, hosts));
  const guard = createDatabaseGuard(options, admission);
  const name = parsed.hosts.join(",");
  let monitor: DatabaseMonitor | null = null;
  // The last two measurements, newest first. One alone may catch the standby
  // between receiving and replaying WAL after a quiet spell on the primary,
  // when the last replayed transaction is old: it takes two in a row to skip it.
  let lags: [number | null, number | null] = [null, null];
  const listeners = new Set<(state: StandbyState) => void>();
  const beyondMax = (lagMs: number | null) => lagMs === null || lagMs > options.maxLagMs;

  const state = (): StandbyState => ({
    name,
    usable: monitor?.condition() === "answering" && !(beyondMax(lags[0]) && beyondMax(lags[1])) && guard.state() !== "open",
    lagMs: lags[0],
  });
  let wasUsable = false;
  const evaluate = () => {
    const now = state();
    if (now.usable === wasUsable) return;
    wasUsable = now.usable;
    for (const listener of listeners) listener(now);
  };
  guard.onStateChange(evaluate);

  return {
    stateStore: createStateRepository(orm.em.getKnex(), guard, null),
    state,
    watch(monitorOptions) {
      monitor ??= startDatabaseMonitor<pg.Client>(
        {
          open: () => hosts.connect(),
          drop: (connection) => hosts.drop(connection),
          async beat(connection) {
            const { rows } = await connection.query<{ lag_ms: string | null }>(lagSql);
            const measured = rows[0]?.lag_ms;
            lags = [measured === null || measured === undefined ? null : Number(measured), lags[0]];
            evaluate();
          },
        },
        monitorOptions,
      );
      monitor.onChange((condition) => {
        if (condition !== "answering") hosts.reconsider();
        evaluate();
      });
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      monitor?.stop();
      await orm.close(true);
    },
  };
}
