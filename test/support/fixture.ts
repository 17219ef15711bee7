import { randomBytes } from "node:crypto";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, expect, inject } from "vitest";
import type { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { errorDetailsOf, type ErrorInfo } from "../../src/client/error-details.js";
import { userStateClient } from "./clients.js";
import { startPgProxy, throughProxy, type PgProxy } from "./pg-proxy.js";
import { startServerProcess, type ServerProcess } from "./server-process.js";

/** What a test file gets from {@link useServer}. */
export interface ServerFixture {
  readonly server: ServerProcess;
  /** A gRPC client of the server. */
  readonly client: Client<typeof UserStateService>;
  /** A direct connection to the server's database, for checks behind its back. */
  readonly db: pg.Pool;
}

/** Options for {@link useServer}. */
export interface ServerFixtureOptions {
  /** Extra environment for the server process. */
  readonly env?: Record<string, string | undefined>;
  /** Give the file a database of its own, dropped afterwards (for files that load bulk data). */
  readonly ownDatabase?: boolean;
}

/** Runs `sql` on the suite's database (used to create and drop databases beside it). */
async function onSuiteDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database of the test file's own, beside the suite's, dropped after the file. */
export function useOwnDatabase(): { readonly url: string } {
  const name = unique("learnerstate_file");
  let url = "";
  beforeAll(async () => {
    await onSuiteDatabase(`create database "${name}"`);
    const parsed = new URL(inject("databaseUrl"));
    parsed.pathname = `/${name}`;
    url = parsed.toString();
  });
  afterAll(() => onSuiteDatabase(`drop database if exists "${name}" with (force)`));
  return {
    get url() {
      return url;
    },
  };
}

/** Starts one server process against the suite's database (or one of its own) for the test file. */
export function useServer(options: ServerFixtureOptions = {}): ServerFixture {
  let server: ServerProcess | undefined;
  let client: Client<typeof UserStateService> | undefined;
  let db: pg.Pool | undefined;
  const ownDatabase = options.ownDatabase ? useOwnDatabase() : null;
  beforeAll(async () => {
    const databaseUrl = ownDatabase?.url ?? inject("databaseUrl");
    // Calls may queue for 10 s, not 250 ms: the suite runs files side by side on small machines, and a file
    // that races 50 writers must not have some turned away as OVERLOADED. Tests of admission set their own
    // limit. (Not in startServerProcess: the benchmark starts its server there, with the defaults.)
    server = await startServerProcess({ DATABASE_URL: databaseUrl, ADMISSION_MAX_WAIT_MS: "10000", ...options.env });
    client = userStateClient(server.baseUrl);
    db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  });
  afterAll(async () => {
    await db?.end();
    const exitCode = await server?.stop();
    expect(exitCode).toBe(0);
  });
  return {
    get server() {
      return server!;
    },
    get client() {
      return client!;
    },
    get db() {
      return db!;
    },
  };
}

/** A server whose database connections pass through a proxy the test controls (to cut, freeze or count them). */
export interface ProxiedServerFixture {
  readonly proxy: PgProxy;
  readonly server: ServerProcess;
  /** A direct connection to the database, around the proxy. */
  readonly db: pg.Pool;
}

/** Starts one server for the test file whose PostgreSQL is reached through a {@link PgProxy}. */
export function useProxiedServer(env: Record<string, string | undefined> = {}): ProxiedServerFixture {
  let proxy: PgProxy | undefined;
  let server: ServerProcess | undefined;
  let db: pg.Pool | undefined;
  beforeAll(async () => {
    const databaseUrl = inject("databaseUrl");
    const target = new URL(databaseUrl);
    proxy = await startPgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    server = await startServerProcess({ DATABASE_URL: throughProxy(databaseUrl, proxy), ...env });
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    expect(await server?.stop()).toBe(0);
    await proxy?.close();
  });
  return {
    get proxy() {
      return proxy!;
    },
    get server() {
      return server!;
    },
    get db() {
      return db!;
    },
  };
}

/** A name no other test uses, so test files share one database without clashing. */
export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** A modern usage key in course `course-v1:<org>+<course>+<run>`. */
export function blockKey(course: string, type: string, id: string): string {
  return `block-v1:${course.replace(/^course-v1:/u, "")}+type@${type}+block@${id}`;
}

/** The reason, domain and metadata of the `google.rpc.ErrorInfo` detail of `error` (read as the TypeScript client reads it). */
export function errorInfoOf(error: ConnectError): ErrorInfo {
  const { errorInfo } = errorDetailsOf(error);
  if (errorInfo === undefined) throw new Error("no ErrorInfo detail");
  return errorInfo;
}

/** Awaits `call`, expects it to fail with `code`, and returns the error. */
export async function expectCode(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(Code[connectError.code], connectError.message).toBe(Code[code]);
  return connectError;
}
