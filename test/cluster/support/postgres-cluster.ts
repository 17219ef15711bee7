import { execFile } from "node:child_process";
import { appendFile, chmod, chown, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freeLoopbackPort } from "../../../src/server/free-loopback-port.js";

const run = promisify(execFile);

/** Where Debian keeps PostgreSQL 15's server programs (PG_BINDIR overrides it). */
export const postgresBin = process.env["PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin";

/** The uid and gid of the `postgres` user, who runs the clusters: PostgreSQL refuses to run as root. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** `command args` as the postgres user when running as root (through runuser), else as the current user. */
export function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, [...args]];
}

/** Runs `command` as {@link asPostgres} says and waits for it; throws with its output when it fails. */
export async function runAsPostgres(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const [file, fileArgs] = asPostgres(command, args);
  try {
    // A working directory the postgres user may enter.
    const { stdout } = await run(file, fileArgs, { env: { ...process.env, ...env }, cwd: os.tmpdir() });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`, { cause: error });
  }
}

/** A directory under the system's temporary directory that the postgres user owns. */
export async function postgresDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUser();
    await chown(directory, uid, gid);
  }
  await chmod(directory, 0o755);
  return directory;
}

/** One PostgreSQL server of the test's own, on a free loopback port. */
export interface PostgresNode {
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  /** Runs `sql` (one statement) on `database` and returns the rows. */
  query<Row extends object>(database: string, sql: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Stops it: "fast" as an orderly shutdown, "immediate" as a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops it if it runs, and removes its files. */
  destroy(): Promise<void>;
}

async function pgCtl(dataDir: string, ...args: string[]): Promise<void> {
  await runAsPostgres(path.join(postgresBin, "pg_ctl"), ["-D", dataDir, "-w", "-t", "60", ...args]);
}

function nodeAt(directory: string, dataDir: string, port: number): PostgresNode {
  let running = true;
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    url,
    async query<Row extends object>(database: string, sql: string, values: readonly unknown[] = []) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return (await client.query<Row>(sql, [...values])).rows;
      } finally {
        await client.end();
      }
    },
    async stop(mode = "fast") {
      await pgCtl(dataDir, "stop", "-m", mode);
      running = false;
    },
    async destroy() {
      if (running) await pgCtl(dataDir, "stop", "-m", "immediate").catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Settings of every test cluster: loopback only, its own socket directory, and statement statistics for the evidence. */
async function configure(dataDir: string, directory: string, port: number): Promise<void> {
  await appendFile(
    path.join(dataDir, "postgresql.conf"),
    [
      "",
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${directory}'`,
      "shared_preload_libraries = 'pg_stat_statements'",
      "fsync = off", // a throwaway cluster: durability against power loss is not what is tested
      "",
    ].join("\n"),
  );
}

/**
 * Creates a primary with `initdb` (trust authentication for loopback, user
 * `postgres`), starts it on a free port and creates `database` with the
 * pg_stat_statements extension.
 */
export async function startPrimary(database: string): Promise<PostgresNode> {
  const directory = await postgresDirectory("learnerstate-primary-");
  const dataDir = path.join(directory, "data");
  const port = await freeLoopbackPort();
  await runAsPostgres(path.join(postgresBin, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "--no-sync"]);
  await configure(dataDir, directory, port);
  await pgCtl(dataDir, "-l", path.join(directory, "log"), "start");
  const node = nodeAt(directory, dataDir, port);
  await node.query("postgres", `create database "${database}"`);
  await node.query(database, "create extension pg_stat_statements");
  return node;
}

/**
 * Clones `primary` with `pg_basebackup -R` (streaming replication, WAL
 * streamed during the copy) and starts the copy as a hot standby on a free port.
 */
export async function startStandby(primary: PostgresNode): Promise<PostgresNode> {
  const directory = await postgresDirectory("learnerstate-standby-");
  const dataDir = path.join(directory, "data");
  const port = await freeLoopbackPort();
  await runAsPostgres(path.join(postgresBin, "pg_basebackup"), ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", dataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]);
  await configure(dataDir, directory, port);
  await pgCtl(dataDir, "-l", path.join(directory, "log"), "start");
  return nodeAt(directory, dataDir, port);
}
