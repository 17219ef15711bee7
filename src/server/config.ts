import path from "node:path";
import type { TokenVerifierOptions } from "../auth/index.js";
import { defaultLimits, type HistoryRetentionPolicy, type StateLimits } from "../domain/state/index.js";
import type { TlsFiles } from "./tls-files.js";

/** Everything the server reads from its environment. */
export interface ServerConfig {
  /** TCP port (PORT, default 50051; 0 picks a free one). */
  readonly port: number;
  /** Address to listen on (HOST, default 127.0.0.1). */
  readonly host: string;
  /**
   * TLS on the service port (TLS_CERT_FILE and TLS_KEY_FILE, PEM; with
   * TLS_CLIENT_CA_FILE, clients must present a certificate it signed); null:
   * h2c. The files are read again when they change. The metrics port stays
   * plain HTTP.
   */
  readonly tls: TlsFiles | null;
  /**
   * PostgreSQL URL (DATABASE_URL); null runs the embedded database. It may
   * name several hosts (libpq's `postgres://h1:5432,h2:5432/db?target_session_attrs=read-write`).
   */
  readonly databaseUrl: string | null;
  /** Hot standbys that serve bulk reads (DATABASE_REPLICA_URLS, separated by commas or spaces); empty: none. */
  readonly databaseReplicaUrls: readonly string[];
  /** Largest replication lag at which a standby still serves bulk reads (REPLICA_MAX_LAG_MS, default 1000). */
  readonly replicaMaxLagMs: number;
  /** Where the embedded database keeps its files (LEARNERSTATE_DATA_DIR, default ./.data). */
  readonly dataDir: string;
  /** Largest number of pooled database connections (DB_POOL_SIZE, default 10). */
  readonly poolSize: number;
  /**
   * Longest a new call may be expected to wait for a database connection
   * (ADMISSION_MAX_WAIT_MS, default 250): a call expected to wait longer, or
   * that waited that long, is refused at once as OVERLOADED.
   */
  readonly admissionMaxWaitMs: number;
  /** Longest wait for a database connection (DB_CONNECT_TIMEOUT_MS, default 2000). */
  readonly connectTimeoutMs: number;
  /** Longest any one statement may run (DB_STATEMENT_TIMEOUT_MS, default 5000). */
  readonly statementTimeoutMs: number;
  /** Consecutive database failures that open the circuit breaker (BREAKER_FAILURE_THRESHOLD, default 5). */
  readonly breakerFailureThreshold: number;
  /** How long the breaker stays open before probing again (BREAKER_HALF_OPEN_AFTER_MS, default 1000). */
  readonly breakerHalfOpenAfterMs: number;
  /** Time between heartbeats to the database (DB_HEARTBEAT_INTERVAL_MS, default 250). */
  readonly heartbeatIntervalMs: number;
  /** Longest a heartbeat may wait for an answer before the database counts as silent (DB_HEARTBEAT_TIMEOUT_MS, default 500). */
  readonly heartbeatTimeoutMs: number;
  /** Longest wait between attempts to connect and migrate at start-up (DB_STARTUP_RETRY_MAX_MS, default 2000). */
  readonly startupRetryMaxMs: number;
  /** Longest wait for another process's migrations (MIGRATION_LOCK_TIMEOUT_MS, default 300000). */
  readonly migrationLockWaitMs: number;
  /** How long SIGTERM waits for in-flight calls before cutting them (SHUTDOWN_GRACE_MS, default 10000). */
  readonly shutdownGraceMs: number;
  /**
   * How long SIGTERM keeps serving while health and /readyz say NOT_SERVING,
   * before it closes connections (SHUTDOWN_DELAY_MS, default 2000: a
   * balancer checking /readyz every 0.5 s, taking a replica out after up to
   * three failed checks), so that balancers take the replica out first. Only
   * while clients are connected: a server nobody uses stops at once.
   */
  readonly shutdownDelayMs: number;
  /** Age after which a client connection is drained, ±10 % (MAX_CONNECTION_AGE_MS); null ("off", the default): never. */
  readonly maxConnectionAgeMs: number | null;
  /** How long a connection drained for its age may finish its calls (MAX_CONNECTION_AGE_GRACE_MS); null ("off", the default): as long as they take. */
  readonly maxConnectionAgeGraceMs: number | null;
  /** Key that signs resume tokens (RESUME_TOKEN_SECRET). */
  readonly resumeTokenSecret: string;
  /**
   * How callers are authenticated; null when no key source is configured,
   * which is development mode (every caller trusted).
   */
  readonly auth: TokenVerifierOptions | null;
  /** Allow development mode on a non-loopback HOST (ALLOW_UNAUTHENTICATED_NETWORK=true). */
  readonly allowUnauthenticatedNetwork: boolean;
  /** Per-call limits (MAX_READ_BLOCKS, MAX_WRITE_BLOCKS, MAX_FIELDS_PER_BLOCK, MAX_VALUE_BYTES, MAX_STATE_BYTES, MAX_JSON_DEPTH). */
  readonly limits: StateLimits;
  /** Blocks in one published block structure (MAX_STRUCTURE_BLOCKS, default 20,000). */
  readonly maxStructureBlocks: number;
  /** Blocks of decoded block structures kept in memory (BLOCK_STRUCTURE_CACHE_BLOCKS, default 40,000). */
  readonly blockStructureCacheBlocks: number;
  /** Largest request or response message in bytes (MAX_MESSAGE_BYTES, default 16 MiB); larger: RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes: number;
  /**
   * Smallest response message compressed for clients that accept gzip or br
   * (COMPRESS_MIN_BYTES); null, the default ("off"), compresses nothing.
   */
  readonly compressMinBytes: number | null;
  /**
   * Who serves gRPC calls with binary messages (GRPC_PATH): "direct", the
   * default, the service's own gRPC path on node:http2 streams; "connect",
   * Connect's adapter like every other protocol (for comparison, or should
   * the direct path ever misbehave).
   */
  readonly grpcPath: "direct" | "connect";
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); null: tracing off. */
  readonly otlpEndpoint: string | null;
  /** Port of the HTTP /metrics endpoint (METRICS_PORT, default 9464; 0 picks a free one). */
  readonly metricsPort: number;
  /** pino level (LOG_LEVEL, default info). */
  readonly logLevel: string;
  /** How much history is kept, and how the background job that enforces it runs. */
  readonly historyRetention: {
    /** HISTORY_MAX_ENTRIES_PER_BLOCK and HISTORY_MAX_AGE_DAYS; both unset (the default) keeps everything and runs no job. */
    readonly policy: HistoryRetentionPolicy;
    /** Pause between the end of one run and the start of the next (HISTORY_RETENTION_INTERVAL_MS, default one hour). */
    readonly intervalMs: number;
    /** History entries examined per statement (HISTORY_RETENTION_BATCH_ROWS, default 1000). */
    readonly batchRows: number;
  };
  /** Whether the catalog creates a course run's missing organization (CATALOG_AUTO_CREATE_ORGS, default true). */
  readonly catalogAutoCreateOrgs: boolean;
  /** The change feed (WatchChanges). */
  readonly changeFeed: {
    /** How long changes are kept for watchers to resume (CHANGE_FEED_RETENTION_SECONDS, default 7 days). */
    readonly retentionSeconds: number;
    /** Pause between the feed's retention runs (CHANGE_FEED_RETENTION_INTERVAL_MS, default 10 minutes). */
    readonly retentionIntervalMs: number;
    /** How often a server with watchers looks for changes committed through other servers (CHANGE_FEED_DETECT_MS, default 50). */
    readonly detectMs: number;
  };
}

// Resume tokens grant nothing, so a shared default only makes them
// forgeable in form, never in effect; deployments set their own.
const defaultResumeTokenSecret = "learnerstate-development-resume-token-key";

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** An integer variable that is unset by default: null when missing or empty. */
function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | null {
  const text = env[name];
  return text === undefined || text === "" ? null : integer(env, name, min, min, max);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  if (text === "true" || text === "false") return text === "true";
  throw new Error(`${name} must be true or false, got ${JSON.stringify(text)}`);
}

/** A variable that takes one of `choices`; `fallback` when unset or empty. */
function oneOf<const Choice extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly Choice[], fallback: Choice): Choice {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  if ((choices as readonly string[]).includes(text)) return text as Choice;
  throw new Error(`${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(text)}`);
}

/** An integer variable whose default is "off": null when unset, empty or "off". */
function integerOrOff(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | null {
  return env[name] === "off" ? null : optionalInteger(env, name, min, max);
}

// A URL may itself hold commas (several hosts), so URLs are split only where the next one starts.
const urlListSeparator = /(?:\s*,\s*|\s+)(?=postgres(?:ql)?:\/\/)/u;

function urlsOf(env: NodeJS.ProcessEnv, name: string): string[] {
  const text = env[name]?.trim() ?? "";
  return text === "" ? [] : text.split(urlListSeparator);
}

function tlsOf(env: NodeJS.ProcessEnv): TlsFiles | null {
  const certFile = env["TLS_CERT_FILE"] || null;
  const keyFile = env["TLS_KEY_FILE"] || null;
  const clientCaFile = env["TLS_CLIENT_CA_FILE"] || null;
  if (certFile === null && keyFile === null) {
    if (clientCaFile !== null) throw new Error("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE");
    return null;
  }
  if (certFile === null || keyFile === null) throw new Error("TLS needs both TLS_CERT_FILE and TLS_KEY_FILE");
  return { certFile, keyFile, clientCaFile };
}

function authOf(env: NodeJS.ProcessEnv): TokenVerifierOptions | null {
  const secret = env["JWT_SECRET"] || null;
  const jwksFile = env["JWT_JWKS_FILE"] || null;
  const jwksUrl = env["JWT_JWKS_URL"] || null;
  const sources = [secret, jwksFile, jwksUrl].filter((source) => source !== null).length;
  if (sources === 0) return null;
  if (sources > 1) throw new Error("set only one of JWT_SECRET, JWT_JWKS_FILE and JWT_JWKS_URL");
  const issuer = env["JWT_ISSUER"];
  const audience = env["JWT_AUDIENCE"];
  if (!issuer || !audience) throw new Error("JWT_ISSUER and JWT_AUDIENCE are required when tokens are checked");
  return { secret, jwksFile, jwksUrl, issuer, audience, clockToleranceSeconds: integer(env, "JWT_CLOCK_SKEW_SECONDS", 30, 0, 600) };
}

/** Reads the configuration; throws with the variable's name when one is malformed. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const databaseUrl = env["DATABASE_URL"] || null;
  const databaseReplicaUrls = urlsOf(env, "DATABASE_REPLICA_URLS");
  if (databaseUrl === null && databaseReplicaUrls.length > 0) throw new Error("DATABASE_REPLICA_URLS needs DATABASE_URL: the embedded database has no standbys");
  return {
    port: integer(env, "PORT", 50051, 0, 65535),
    host: env["HOST"] || "127.0.0.1",
    tls: tlsOf(env),
    databaseUrl,
    databaseReplicaUrls,
    replicaMaxLagMs: integer(env, "REPLICA_MAX_LAG_MS", 1000, 0, 86_400_000),
    dataDir: path.resolve(env["LEARNERSTATE_DATA_DIR"] || ".data"),
    poolSize: integer(env, "DB_POOL_SIZE", 10, 1, 1000),
    admissionMaxWaitMs: integer(env, "ADMISSION_MAX_WAIT_MS", 250, 1, 600_000),
    connectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 2000, 1, 600_000),
    statementTimeoutMs: integer(env, "DB_STATEMENT_TIMEOUT_MS", 5000, 1, 3_600_000),
    breakerFailureThreshold: integer(env, "BREAKER_FAILURE_THRESHOLD", 5, 1, 1000),
    breakerHalfOpenAfterMs: integer(env, "BREAKER_HALF_OPEN_AFTER_MS", 1000, 1, 600_000),
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    shutdownDelayMs: integer(env, "SHUTDOWN_DELAY_MS", 2000, 0, 600_000),
    maxConnectionAgeMs: integerOrOff(env, "MAX_CONNECTION_AGE_MS", 1, 31 * 86_400_000),
    maxConnectionAgeGraceMs: integerOrOff(env, "MAX_CONNECTION_AGE_GRACE_MS", 0, 31 * 86_400_000),
    heartbeatIntervalMs: integer(env, "DB_HEARTBEAT_INTERVAL_MS", 250, 10, 600_000),
    heartbeatTimeoutMs: integer(env, "DB_HEARTBEAT_TIMEOUT_MS", 500, 10, 600_000),
    startupRetryMaxMs: integer(env, "DB_STARTUP_RETRY_MAX_MS", 2000, 10, 600_000),
    migrationLockWaitMs: integer(env, "MIGRATION_LOCK_TIMEOUT_MS", 300_000, 0, 86_400_000),
    resumeTokenSecret: env["RESUME_TOKEN_SECRET"] || defaultResumeTokenSecret,
    auth: authOf(env),
    limits: {
      maxReadBlocks: integer(env, "MAX_READ_BLOCKS", defaultLimits.maxReadBlocks, 1, 1_000_000),
      maxWriteBlocks: integer(env, "MAX_WRITE_BLOCKS", defaultLimits.maxWriteBlocks, 1, 100_000),
      maxFieldsPerBlock: integer(env, "MAX_FIELDS_PER_BLOCK", defaultLimits.maxFieldsPerBlock, 1, 100_000),
      maxValueBytes: integer(env, "MAX_VALUE_BYTES", defaultLimits.maxValueBytes, 1, 256 * 1024 * 1024),
      maxStateBytes: integer(env, "MAX_STATE_BYTES", defaultLimits.maxStateBytes, 1, 1024 * 1024 * 1024),
      maxJsonDepth: integer(env, "MAX_JSON_DEPTH", defaultLimits.maxJsonDepth, 1, 10_000),
    },
    maxStructureBlocks: integer(env, "MAX_STRUCTURE_BLOCKS", 20_000, 1, 1_000_000),
    blockStructureCacheBlocks: integer(env, "BLOCK_STRUCTURE_CACHE_BLOCKS", 40_000, 1, 100_000_000),
    metricsPort: integer(env, "METRICS_PORT", 9464, 0, 65535),
    compressMinBytes: integerOrOff(env, "COMPRESS_MIN_BYTES", 0, 1024 * 1024 * 1024),
    grpcPath: oneOf(env, "GRPC_PATH", ["direct", "connect"] as const, "direct"),
    otlpEndpoint: env["OTEL_EXPORTER_OTLP_ENDPOINT"] || null,
    maxMessageBytes: integer(env, "MAX_MESSAGE_BYTES", 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    allowUnauthenticatedNetwork: env["ALLOW_UNAUTHENTICATED_NETWORK"] === "true",
    logLevel: env["LOG_LEVEL"] || "info",
    historyRetention: {
      policy: {
        keepNewest: optionalInteger(env, "HISTORY_MAX_ENTRIES_PER_BLOCK", 1, 1_000_000_000),
        maxAgeDays: optionalInteger(env, "HISTORY_MAX_AGE_DAYS", 1, 1_000_000),
      },
      intervalMs: integer(env, "HISTORY_RETENTION_INTERVAL_MS", 3_600_000, 1, 2_147_483_647),
      batchRows: integer(env, "HISTORY_RETENTION_BATCH_ROWS", 1000, 1, 100_000),
    },
    catalogAutoCreateOrgs: flag(env, "CATALOG_AUTO_CREATE_ORGS", true),
    changeFeed: {
      retentionSeconds: integer(env, "CHANGE_FEED_RETENTION_SECONDS", 7 * 86_400, 1, 3650 * 86_400),
      retentionIntervalMs: integer(env, "CHANGE_FEED_RETENTION_INTERVAL_MS", 600_000, 1, 2_147_483_647),
      detectMs: integer(env, "CHANGE_FEED_DETECT_MS", 50, 5, 600_000),
    },
  };
}
