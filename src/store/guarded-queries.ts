import { createHash } from "node:crypto";
import type { Knex } from "@mikro-orm/postgresql";
import type pg from "pg";
import type { CallLimits } from "../domain/state/index.js";
import { CopyOut } from "./copy-out.js";
import type { DatabaseGuard, WorkAccess, WorkBounds } from "./database-guard.js";
import type { ReceivedRows } from "./in-place-result.js";
import { RowsOut } from "./rows-out.js";

/** Sends one statement (knex `?` placeholders, values bound in order) and returns its rows. */
export type Query = <T>(sql: string, params: readonly unknown[]) => Promise<T[]>;

/**
 * Runs one `COPY (select …) TO STDOUT` and returns all it wrote. The COPY
 * statement cannot take bound parameters, so its values come from
 * `settings`: each is set on the connection with `set_config` (name, value),
 * in a statement of its own with bound parameters, and the COPY reads them
 * back with `current_setting(name)`. Names and the COPY text are constants of
 * the store, never request text.
 */
export type CopyQuery = (settings: ReadonlyArray<readonly [name: string, value: string]>, copySql: string) => Promise<ReceivedRows>;

/**
 * Sends one read statement (knex `?` placeholders, values bound in order as
 * text) and returns its rows in binary, as they came (see {@link RowsOut}).
 */
export type RowsQuery = (sql: string, params: ReadonlyArray<string | null>) => Promise<ReceivedRows>;

/** Database work through a {@link DatabaseGuard}, one statement at a time. */
export interface GuardedQueries {
  /** Runs `work` under the guard; its statements go through the pool. */
  run<T>(call: CallLimits, access: WorkAccess, work: (query: Query) => Promise<T>): Promise<T>;
  /** Runs one read under the guard as a {@link RowsQuery} on one pooled connection. */
  readRows(call: CallLimits, sql: string, params: ReadonlyArray<string | null>): Promise<ReceivedRows>;
  /** Runs a read under the guard with one {@link CopyQuery} (and its settings) on one pooled connection. */
  copy(call: CallLimits, settings: ReadonlyArray<readonly [name: string, value: string]>, copySql: string): Promise<ReceivedRows>;
  /** Runs `work` as one transaction (a write): committed when it resolves, rolled back when it throws. */
  inTransaction<T>(call: CallLimits, work: (query: Query) => Promise<T>): Promise<T>;
}

const preparedNames = new Map<string, string>();

/**
 * The name of the server-side prepared statement of `sql`: one per statement
 * text, so that PostgreSQL parses and plans each statement once per
 * connection instead of on every call (many are long CTEs). Statement texts
 * are fixed (values are bound), so the names are few.
 */
export function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (name === undefined) {
    name = `learnerstate_${createHash("sha1").update(sql).digest("hex").slice(0, 20)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

const positionalTexts = new Map<string, string>();

/** `sql` with knex's `?` placeholders numbered for PostgreSQL (`$1`, `$2`, …); the statements have no other `?`. */
function positional(sql: string): string {
  let text = positionalTexts.get(sql);
  if (text === undefined) {
    if (sql.includes("??")) throw new Error("identifier bindings (??) are not supported by direct statements");
    let count = 0;
    text = sql.replace(/\?/gu, () => `$${(count += 1)}`);
    positionalTexts.set(sql, text);
  }
  return text;
}

/** What direct statements use of knex's client: its pool and its way of cancelling a running statement. */
interface PooledClient {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<void>;
  cancelQuery(connection: pg.ClientBase): Promise<unknown>;
}

/**
 * Cancels what runs on `connection` (pg_cancel_backend, through a connection
 * of its own) once `timeoutMs` have passed. `settled()` stops the timer and
 * waits for a cancel already on its way: the connection may go back to the
 * pool only then, or a late cancel would stop whatever statement runs on it
 * next (seen as a write that failed with OUTCOME_UNKNOWN right after a lock
 * was released).
 */
function cancellation(client: PooledClient, connection: pg.ClientBase, timeoutMs: number): { settled(): Promise<unknown> } {
  let cancelling: Promise<unknown> | null = null;
  const timer = setTimeout(() => (cancelling = client.cancelQuery(connection).catch(() => undefined)), timeoutMs);
  return {
    settled() {
      clearTimeout(timer);
      return cancelling ?? Promise.resolve();
    },
  };
}

/**
 * Runs `work` straight on a connection of knex's pool, bypassing knex's
 * query builder and runner (a tenth of a GetMany's CPU), bounded by the
 * guard's time: when the time runs out, what runs is cancelled in PostgreSQL
 * (pg_cancel_backend, as knex's own timeout does) and fails with
 * PostgreSQL's query_canceled, which the guard reads as a timeout.
 */
async function onPooledConnection<T>(client: PooledClient, { timeoutMs, sent }: WorkBounds, work: (connection: pg.ClientBase) => Promise<T>): Promise<T> {
  const connection = await client.acquireConnection();
  const cancel = cancellation(client, connection, timeoutMs);
  try {
    sent();
    return await work(connection);
  } finally {
    await cancel.settled();
    await client.releaseConnection(connection);
  }
}

/** One statement on a pooled connection (see {@link onPooledConnection}), as a named prepared statement. */
function directQuery(client: PooledClient, bounds: WorkBounds): Query {
  return async <T>(sql: string, params: readonly unknown[]) =>
    onPooledConnection(client, bounds, async (connection) => {
      return (await connection.query<T & pg.QueryResultRow>({ name: preparedName(sql), text: positional(sql), values: params as unknown[] })).rows;
    });
}

/** The statement that sets `names` on the connection, from bound parameters in their order. */
function settingsSql(names: readonly string[]): string {
  return `select ${names.map((name, index) => `set_config('${name}', $${index + 1}, false)`).join(", ")}`;
}

/** A COPY on a pooled connection (see {@link onPooledConnection}): its settings, then the COPY, its output received in place ({@link CopyOut}). */
function directCopy(client: PooledClient, bounds: WorkBounds): CopyQuery {
  return async (settings, copySql) =>
    onPooledConnection(client, bounds, async (connection) => {
      if (settings.length > 0) {
        const sql = settingsSql(settings.map(([name]) => name));
        await connection.query({ name: preparedName(sql), text: sql, values: settings.map(([, value]) => value) });
      }
      return await connection.query(new CopyOut(copySql)).rows;
    });
}

/** One statement on a pooled connection (see {@link onPooledConnection}), as a named prepared statement, its rows in binary received in place ({@link RowsOut}). */
function directRows(client: PooledClient, bounds: WorkBounds): RowsQuery {
  return async (sql, params) => onPooledConnection(client, bounds, async (connection) => connection.query(new RowsOut(preparedName(sql), positional(sql), params)).rows);
}

/**
 * Guarded queries on `knex`: every statement is a named prepared statement,
 * is bounded by the guard's time
 * (and cancelled in PostgreSQL, not just abandoned, when it runs out) and
 * reports to the guard when it is sent, so that a write's outcome is known to
 * be untouched when it failed before. Single statements go straight to a
 * pooled connection (see {@link directQuery}); transactions through knex.
 */
export function createGuardedQueries(knex: Knex, guard: DatabaseGuard): GuardedQueries {
  const bounded =
    (runner: Knex | Knex.Transaction, { timeoutMs, sent }: WorkBounds): Query =>
    async <T>(sql: string, params: readonly unknown[]) => {
      // knex emits "query" once it holds a connection, just before sending the statement.
      const statement = runner
        .raw(sql, params as Knex.RawBinding[])
        .options({ name: preparedName(sql) })
        .on("query", sent)
        .timeout(timeoutMs, { cancel: true });
      const result = (await statement) as { rows: T[] };
      return result.rows;
    };
  return {
    run: (call, access, work) => guard.run(call, access, (bounds) => work(directQuery(knex.client as unknown as PooledClient, bounds))),
    readRows: (call, sql, params) => guard.run(call, "read", (bounds) => directRows(knex.client as unknown as PooledClient, bounds)(sql, params)),
    copy: (call, settings, copySql) => guard.run(call, "read", (bounds) => directCopy(knex.client as unknown as PooledClient, bounds)(settings, copySql)),
    inTransaction: (call, work) => guard.run(call, "write", (bounds) => knex.transaction((transaction) => work(bounded(transaction, bounds)))),
  };
}
