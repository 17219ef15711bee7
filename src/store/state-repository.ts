import type { Knex } from "@mikro-orm/postgresql";
import type {
  BlockWrite,
  CallLimits,
  FieldTexts,
  IterationFilter,
  Micros,
  PositionedState,
  Scope,
  StateStore,
  StoredHistoryEntry,
  StoredState,
} from "../domain/state/index.js";
import type { DatabaseGuard } from "./database-guard.js";

// Every list travels as one JSON-array parameter (`jsonb_array_elements_text`),
// so statements keep a fixed text whatever the number of blocks, and no request
// string is ever spliced into SQL.

/** Microseconds since the epoch of a timestamptz column, exact (extract() is numeric). */
const micros = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;

/** A jsonb state as an object of field name → the JSON text of its value. */
const fieldTexts = (column: string, filter = "") =>
  `coalesce((select jsonb_object_agg(e.key, e.value::text) from jsonb_each(${column}) e ${filter}), '{}'::jsonb)`;

const readStatesSql = `
  select s.username, s.usage_key, ${micros("s.modified")} as modified,
         ${fieldTexts("s.state", "where ?::jsonb is null or e.key in (select jsonb_array_elements_text(?::jsonb))")} as fields
  from jsonb_array_elements_text(?::jsonb) with ordinality as r(usage_key, ord)
  join user_state s on s.username = ? and s.scope = ? and s.usage_key = r.usage_key
  order by r.ord`;

// One statement: the merge happens in PostgreSQL under the row lock, so
// concurrent writers of different fields of one block never lose each other's
// fields, and the history entry is written with the same snapshot of the row.
const writeStatesSql = `
  with input as (
    select i.ord, i.usage_key, i.context_key, i.block_type, i.state
    from jsonb_to_recordset(?::jsonb) as i(ord int, usage_key text, context_key text, block_type text, state jsonb)
  ), written as (
    insert into user_state as s (username, usage_key, scope, context_key, block_type, state, field_modified)
    select ?, i.usage_key, ?, i.context_key, i.block_type, i.state,
           coalesce((select jsonb_object_agg(k, (extract(epoch from now()) * 1000000)::bigint)
                     from jsonb_object_keys(i.state) k), '{}'::jsonb)
    from input i
    on conflict (username, usage_key, scope) do update
      set state = s.state || excluded.state,
          field_modified = s.field_modified || excluded.field_modified,
          modified = excluded.modified
    returning s.usage_key, s.state, s.modified
  ), logged as (
    insert into user_state_history (username, usage_key, scope, state, modified)
    select ?, w.usage_key, ?, w.state, w.modified from written w
  )
  select i.ord, ${micros("w.modified")} as modified,
         case when octet_length(w.state::text) > ?::bigint
              then learnerstate_refuse_large_state(w.usage_key, octet_length(w.state::text), ?::bigint) end as refused
  from input i join written w on w.usage_key = i.usage_key
  order by i.ord`;

const deleteStatesSql = `
  with removed as (
    delete from user_state s
    using jsonb_array_elements_text(?::jsonb) as k(usage_key)
    where s.username = ? and s.scope = ? and s.usage_key = k.usage_key
    returning s.usage_key
  )
  insert into user_state_history (username, usage_key, scope, state)
  select ?, r.usage_key, ?, null from removed r`;

// Trims the fields under the row lock and logs the result; rows left empty
// are deleted by a second statement in the same transaction (one statement
// cannot both update and delete a row).
const trimFieldsSql = `
  with names as (select array(select jsonb_array_elements_text(?::jsonb)) as list),
  trimmed as (
    update user_state s
    set state = s.state - n.list, field_modified = s.field_modified - n.list, modified = now()
    from names n, jsonb_array_elements_text(?::jsonb) as k(usage_key)
    where s.username = ? and s.scope = ? and s.usage_key = k.usage_key and jsonb_exists_any(s.state, n.list)
    returning s.id, s.usage_key, s.state, s.modified
  ), logged as (
    insert into user_state_history (username, usage_key, scope, state, modified)
    select ?, t.usage_key, ?, case when t.state = '{}'::jsonb then null else t.state end, t.modified from trimmed t
  )
  select t.id::text as id from trimmed t where t.state = '{}'::jsonb`;

const deleteEmptiedSql = `delete from user_state where id in (select value::bigint from jsonb_array_elements_text(?::jsonb))`;

const readFieldTimesSql = `
  select s.usage_key, f.key as field_name, f.value::text as modified
  from jsonb_array_elements_text(?::jsonb) with ordinality as r(usage_key, ord)
  join user_state s on s.username = ? and s.scope = ? and s.usage_key = r.usage_key
  cross join lateral jsonb_each(s.field_modified) f
  where ?::jsonb is null or f.key in (select jsonb_array_elements_text(?::jsonb))
  order by r.ord, f.key collate "C"`;

const readHistorySql = `
  select h.id::text as position, ${micros("h.modified")} as modified,
         case when h.state is null then null else ${fieldTexts("h.state")} end as fields
  from user_state_history h
  where h.username = ? and h.usage_key = ? and h.scope = ? and (?::bigint is null or h.id < ?::bigint)
  order by h.id desc
  limit ?`;

interface StateRow {
  username: string;
  usage_key: string;
  modified: string;
  fields: FieldTexts;
}

type Query = <T>(sql: string, params: readonly unknown[]) => Promise<T[]>;

const json = (value: unknown) => JSON.stringify(value);

/**
 * Implements the {@link StateStore} port with SQL sent through knex with bound
 * parameters. Every statement runs under `guard`: through the circuit breaker,
 * and cancelled in PostgreSQL (not just abandoned) when its time is up.
 */
export function createStateRepository(knex: Knex, guard: DatabaseGuard): StateStore {
  const bounded = (runner: Knex | Knex.Transaction, timeoutMs: number): Query =>
    async <T>(sql: string, params: readonly unknown[]) => {
      const result = (await runner.raw(sql, params as Knex.RawBinding[]).timeout(timeoutMs, { cancel: true })) as { rows: T[] };
      return result.rows;
    };
  const run = <T>(call: CallLimits, work: (query: Query) => Promise<T>): Promise<T> => guard.run(call, (timeoutMs) => work(bounded(knex, timeoutMs)));
  const inTransaction = (call: CallLimits, work: (query: Query) => Promise<void>): Promise<void> =>
    guard.run(call, (timeoutMs) => knex.transaction((transaction) => work(bounded(transaction, timeoutMs))));

  const toState = (row: StateRow): StoredState => ({
    username: row.username,
    usageKey: row.usage_key,
    fields: row.fields,
    modified: BigInt(row.modified),
  });

  return {
    async readStates(call, username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, (query) => query<StateRow>(readStatesSql, [names, names, json(usageKeys), username, scope]));
      return rows.map(toState);
    },

    async writeStates(call: CallLimits, username: string, scope: Scope, writes: readonly BlockWrite[], maxStateBytes: number): Promise<Micros[]> {
      // The state texts were validated as JSON by the domain; they are embedded
      // as they are so that numbers keep every digit on their way to jsonb.
      const input = `[${writes
        .map(
          ({ address, stateJson }, ord) =>
            `{"ord":${ord},"usage_key":${json(address.usageKey)},"context_key":${json(address.contextKey)},"block_type":${json(address.blockType)},"state":${stateJson}}`,
        )
        .join(",")}]`;
      const rows = await run(call, (query) => query<{ modified: string }>(writeStatesSql, [input, username, scope, username, scope, maxStateBytes, maxStateBytes]));
      return rows.map((row) => BigInt(row.modified));
    },

    async deleteStates(call, username, scope, usageKeys) {
      await run(call, (query) => query(deleteStatesSql, [json(usageKeys), username, scope, username, scope]));
    },

    async deleteFields(call, username, scope, usageKeys, fieldNames) {
      await inTransaction(call, async (query) => {
        const emptied = await query<{ id: string }>(trimFieldsSql, [json(fieldNames), json(usageKeys), username, scope, username, scope]);
        if (emptied.length > 0) await query(deleteEmptiedSql, [json(emptied.map((row) => row.id))]);
      });
    },

    async readFieldTimes(call, username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, (query) =>
        query<{ usage_key: string; field_name: string; modified: string }>(readFieldTimesSql, [json(usageKeys), username, scope, names, names]),
      );
      return rows.map((row) => ({ usageKey: row.usage_key, fieldName: row.field_name, modified: BigInt(row.modified) }));
    },

    async readHistory(call, username, scope, usageKey, before, limit): Promise<StoredHistoryEntry[]> {
      const cursor = before === null ? null : before.toString();
      const rows = await run(call, (query) =>
        query<{ position: string; modified: string; fields: FieldTexts | null }>(readHistorySql, [username, usageKey, scope, cursor, cursor, limit]),
      );
      return rows.map((row) => ({ position: BigInt(row.position), fields: row.fields, modified: BigInt(row.modified) }));
    },

    async readPositionedStates(call: CallLimits, filter: IterationFilter, after: bigint | null, limit: number): Promise<PositionedState[]> {
      const rows = await guard.run(call, async (timeoutMs) => {
        const query = knex("user_state as s")
          .select(
            "s.username",
            "s.usage_key",
            knex.raw("s.id::text as position"),
            knex.raw(`${micros("s.modified")} as modified`),
            knex.raw(`${fieldTexts("s.state")} as fields`),
          )
          .where("s.scope", filter.scope)
          .andWhere("s.id", ">", after === null ? "0" : after.toString())
          .orderBy("s.id")
          .limit(limit)
          .timeout(timeoutMs, { cancel: true });
        if (filter.kind === "block") {
          query.andWhere("s.usage_key", filter.usageKey);
        } else {
          query.whereIn("s.context_key", [...filter.contextKeys]);
          if (filter.blockType !== null) query.andWhere("s.block_type", filter.blockType);
        }
        return (await query) as Array<StateRow & { position: string }>;
      });
      return rows.map((row) => ({ ...toState(row), position: BigInt(row.position) }));
    },

    async ping(call) {
      await run(call, (query) => query("select 1", []));
    },
  };
}
