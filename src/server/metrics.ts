import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AdmissionFigures, BreakerState, PoolUsage, StandbyState } from "../store/index.js";

/** The service's Prometheus metrics, in one registry. */
export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<"method">;
  readonly errors: Counter<"method" | "code">;
  readonly duration: Histogram<"method">;
  readonly blocksRequested: Counter<"method">;
  readonly blocksReturned: Counter<"method">;
  readonly stateBytes: Counter<"method" | "direction">;
  readonly fieldsWritten: Counter<"method">;
  readonly rowsStreamed: Counter<"method">;
  /** History entries the retention job deleted, by history part. */
  readonly historyPurged: Counter<"part">;
  /** Retention runs, by outcome: completed (a whole pass), stopped (by shutdown), failed. */
  readonly historyRetentionRuns: Counter<"outcome">;
  readonly historyRetentionDuration: Histogram;
  /** Entries the current retention pass has yet to examine. */
  readonly historyRetentionBacklog: Gauge;
  /** Time admitted database work waited for its turn. */
  readonly admissionWait: Histogram;
  /** The change feed's reads of the database, by reader: a course's shared reader, or a watcher catching up. */
  readonly changeFeedReads: Counter<"reader">;
  /** Changes the change feed's retention removed. */
  readonly changeFeedRemoved: Counter;
}

/** What the gauges read at scrape time. */
export interface MetricsSources {
  breakerState(): BreakerState;
  poolUsage(): PoolUsage;
  standbys(): StandbyState[];
  admission(): AdmissionFigures;
  /** Concurrent calls per connection the server advertises now (SETTINGS_MAX_CONCURRENT_STREAMS). */
  streamsPerConnection(): number;
  /** The change feed's open watches, and the shared readers serving them. */
  changeFeed(): { watchers: number; readers: number };
}

/** Creates the registry with Node's process metrics, per-RPC metrics, learner-state figures, breaker, pool, standby and admission figures. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "learnerstate_" });
  const registers = [registry];
  new Gauge({
    name: "learnerstate_change_feed_watchers",
    help: "Open WatchChanges streams (watchers), and the shared readers that serve them (one per watched course)",
    labelNames: ["kind"],
    registers,
    collect() {
      const { watchers, readers } = sources.changeFeed();
      this.set({ kind: "watchers" }, watchers);
      this.set({ kind: "readers" }, readers);
    },
  });
  new Gauge({
    name: "learnerstate_breaker_state",
    help: "Circuit breaker around the database: 1 for the current state, 0 for the others",
    labelNames: ["state"],
    registers,
    collect() {
      const current = sources.breakerState();
      for (const state of ["closed", "open", "half-open"] as const) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: "learnerstate_db_pool_connections",
    help: "Database pool connections by use: used, free, and calls waiting for one (pending)",
    labelNames: ["use"],
    registers,
    collect() {
      const usage = sources.poolUsage();
      this.set({ use: "used" }, usage.used);
      this.set({ use: "free" }, usage.free);
      this.set({ use: "pending" }, usage.pending);
    },
  });
  new Gauge({
    name: "learnerstate_db_standby_usable",
    help: "Per standby (DATABASE_REPLICA_URLS): 1 while it serves bulk reads, 0 while it is skipped",
    labelNames: ["standby"],
    registers,
    collect() {
      for (const standby of sources.standbys()) this.set({ standby: standby.name }, standby.usable ? 1 : 0);
    },
  });
  new Gauge({
    name: "learnerstate_db_standby_lag_seconds",
    help: "Per standby: replication lag at its last heartbeat (absent while unknown)",
    labelNames: ["standby"],
    registers,
    collect() {
      this.reset();
      for (const standby of sources.standbys()) if (standby.lagMs !== null) this.set({ standby: standby.name }, standby.lagMs / 1000);
    },
  });
  new Gauge({
    name: "learnerstate_admission_work",
    help: "Database work under admission control: the limit, pieces running, and pieces waiting for a slot",
    labelNames: ["state"],
    registers,
    collect() {
      const figures = sources.admission();
      this.set({ state: "limit" }, figures.limit);
      this.set({ state: "running" }, figures.running);
      this.set({ state: "waiting" }, figures.waiting);
    },
  });
  new Gauge({
    name: "learnerstate_http2_streams_per_connection",
    help: "Concurrent calls per connection the server advertises now: 100, fewer while it is overloaded",
    registers,
    collect() {
      this.set(sources.streamsPerConnection());
    },
  });
  new Counter({
    name: "learnerstate_admission_admitted_total",
    help: "Pieces of database work admitted",
    registers,
    collect() {
      this.reset();
      this.inc(sources.admission().admitted);
    },
  });
  new Counter({
    name: "learnerstate_admission_refused_total",
    help: "Calls refused as OVERLOADED, by reason: would_wait_too_long (refused at once), waited_too_long",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(sources.admission().refused)) this.inc({ reason }, count);
    },
  });
  return {
    registry,
    requests: new Counter({ name: "learnerstate_rpc_requests_total", help: "Calls received, by method", labelNames: ["method"], registers }),
    errors: new Counter({ name: "learnerstate_rpc_errors_total", help: "Calls that failed, by method and gRPC code", labelNames: ["method", "code"], registers }),
    duration: new Histogram({
      name: "learnerstate_rpc_duration_seconds",
      help: "Time from receiving a call to its last response message, by method",
      labelNames: ["method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    blocksRequested: new Counter({ name: "learnerstate_blocks_requested_total", help: "Block keys named by requests, by method", labelNames: ["method"], registers }),
    blocksReturned: new Counter({ name: "learnerstate_blocks_returned_total", help: "Block states sent back, by method", labelNames: ["method"], registers }),
    stateBytes: new Counter({
      name: "learnerstate_state_bytes_total",
      help: "Bytes of field JSON text, read (returned) or written, by method",
      labelNames: ["method", "direction"],
      registers,
    }),
    fieldsWritten: new Counter({ name: "learnerstate_fields_written_total", help: "Fields set by SetMany", labelNames: ["method"], registers }),
    rowsStreamed: new Counter({
      name: "learnerstate_rows_streamed_total",
      help: "Rows sent by streaming calls (states, history entries, field times), by method",
      labelNames: ["method"],
      registers,
    }),
    historyPurged: new Counter({
      name: "learnerstate_history_retention_purged_total",
      help: "History entries deleted by the retention job, by history part (user_state, other_scopes)",
      labelNames: ["part"],
      registers,
    }),
    historyRetentionRuns: new Counter({
      name: "learnerstate_history_retention_runs_total",
      help: "Runs of the history retention job, by outcome: completed (a whole pass), stopped (by shutdown), failed",
      labelNames: ["outcome"],
      registers,
    }),
    historyRetentionDuration: new Histogram({
      name: "learnerstate_history_retention_duration_seconds",
      help: "Time one run of the history retention job took",
      buckets: [0.01, 0.1, 1, 10, 60, 300, 1800, 3600],
      registers,
    }),
    historyRetentionBacklog: new Gauge({
      name: "learnerstate_history_retention_backlog_entries",
      help: "History entries (estimated from ids) the current retention pass has yet to examine; 0 once a pass completes",
      registers,
    }),
    changeFeedReads: new Counter({
      name: "learnerstate_change_feed_reads_total",
      help: "Reads of the change feed's table, by reader: shared (one per watched course and server), catch-up (a watcher behind the shared reader)",
      labelNames: ["reader"],
      registers,
    }),
    changeFeedRemoved: new Counter({ name: "learnerstate_change_feed_removed_total", help: "Changes removed by the change feed's retention", registers }),
    admissionWait: new Histogram({
      name: "learnerstate_admission_wait_seconds",
      help: "Time admitted database work waited for a slot",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
  };
}
