import path from "node:path";

/** Everything the server reads from its environment. */
export interface ServerConfig {
  /** TCP port (PORT, default 50051; 0 picks a free one). */
  readonly port: number;
  /** Address to listen on (HOST, default 127.0.0.1). */
  readonly host: string;
  /** PostgreSQL URL (DATABASE_URL); null runs the embedded database. */
  readonly databaseUrl: string | null;
  /** Where the embedded database keeps its files (LEARNERSTATE_DATA_DIR, default ./.data). */
  readonly dataDir: string;
  /** Largest number of pooled database connections (DB_POOL_SIZE, default 10). */
  readonly poolSize: number;
  /** Longest wait for a database connection (DB_CONNECT_TIMEOUT_MS, default 2000). */
  readonly connectTimeoutMs: number;
  /** Longest any one statement may run (DB_STATEMENT_TIMEOUT_MS, default 5000). */
  readonly statementTimeoutMs: number;
  /** Consecutive database failures that open the circuit breaker (BREAKER_FAILURE_THRESHOLD, default 5). */
  readonly breakerFailureThreshold: number;
  /** How long the breaker stays open before probing again (BREAKER_HALF_OPEN_AFTER_MS, default 1000). */
  readonly breakerHalfOpenAfterMs: number;
  /** How long SIGTERM waits for in-flight calls before cutting them (SHUTDOWN_GRACE_MS, default 10000). */
  readonly shutdownGraceMs: number;
  /** Key that signs resume tokens (RESUME_TOKEN_SECRET). */
  readonly resumeTokenSecret: string;
  /** pino level (LOG_LEVEL, default info). */
  readonly logLevel: string;
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

/** Reads the configuration; throws with the variable's name when one is malformed. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    port: integer(env, "PORT", 50051, 0, 65535),
    host: env["HOST"] || "127.0.0.1",
    databaseUrl: env["DATABASE_URL"] || null,
    dataDir: path.resolve(env["LEARNERSTATE_DATA_DIR"] || ".data"),
    poolSize: integer(env, "DB_POOL_SIZE", 10, 1, 1000),
    connectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 2000, 1, 600_000),
    statementTimeoutMs: integer(env, "DB_STATEMENT_TIMEOUT_MS", 5000, 1, 3_600_000),
    breakerFailureThreshold: integer(env, "BREAKER_FAILURE_THRESHOLD", 5, 1, 1000),
    breakerHalfOpenAfterMs: integer(env, "BREAKER_HALF_OPEN_AFTER_MS", 1000, 1, 600_000),
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    resumeTokenSecret: env["RESUME_TOKEN_SECRET"] || defaultResumeTokenSecret,
    logLevel: env["LOG_LEVEL"] || "info",
  };
}
