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
    resumeTokenSecret: env["RESUME_TOKEN_SECRET"] || defaultResumeTokenSecret,
    logLevel: env["LOG_LEVEL"] || "info",
  };
}
