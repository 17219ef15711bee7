import type { MikroORM } from "@mikro-orm/postgresql";
import type {
  BlockWrite,
  FieldTexts,
  IterationFilter,
  Micros,
  PositionedState,
  Scope,
  StateStore,
  StoredHistoryEntry,
  StoredState,
} from "../domain/state/index.js";
import { translateDriverError } from "./translate-driver-error.js";

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
  select i.ord, ${micros("w.modified")} as modified
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

const json = (value: unknown) => JSON.stringify(value);

/** Implements the {@link StateStore} port with SQL run through MikroORM's connection. */
export function createStateRepository(orm: MikroORM): StateStore {
  async function run<T>(work: (execute: (sql: string, params: unknown[]) => Promise<T[]>) => Promise<T[]>): Promise<T[]> {
    const em = orm.em.fork();
    const connection = em.getConnection();
    try {
      return await work((sql, params) => connection.execute<T[]>(sql, params, "all"));
    } catch (error) {
      throw translateDriverError(error);
    }
  }

  async function inTransaction<T>(work: (execute: (sql: string, params: unknown[]) => Promise<T[]>) => Promise<void>): Promise<void> {
    const em = orm.em.fork();
    try {
      await em.transactional(async (tx) => {
        const connection = tx.getConnection();
        const context = tx.getTransactionContext();
        await work((sql, params) => connection.execute<T[]>(sql, params, "all", context));
      });
    } catch (error) {
      throw translateDriverError(error);
    }
  }

  const toState = (row: StateRow): StoredState => ({
    username: row.username,
    usageKey: row.usage_key,
    fields: row.fields,
    modified: BigInt(row.modified),
  });

  return {
    async readStates(username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run<StateRow>((execute) => execute(readStatesSql, [names, names, json(usageKeys), username, scope]));
      return rows.map(toState);
    },

    async writeStates(username: string, scope: Scope, writes: readonly BlockWrite[]): Promise<Micros[]> {
      // The state texts were validated as JSON by the domain; they are embedded
      // as they are so that numbers keep every digit on their way to jsonb.
      const input = `[${writes
        .map(
          ({ address, stateJson }, ord) =>
            `{"ord":${ord},"usage_key":${json(address.usageKey)},"context_key":${json(address.contextKey)},"block_type":${json(address.blockType)},"state":${stateJson}}`,
        )
        .join(",")}]`;
      const rows = await run<{ ord: number; modified: string }>((execute) => execute(writeStatesSql, [input, username, scope, username, scope]));
      return rows.map((row) => BigInt(row.modified));
    },

    async deleteStates(username, scope, usageKeys) {
      await run((execute) => execute(deleteStatesSql, [json(usageKeys), username, scope, username, scope]));
    },

    async deleteFields(username, scope, usageKeys, fieldNames) {
      await inTransaction<{ id: string }>(async (execute) => {
        const emptied = await execute(trimFieldsSql, [json(fieldNames), json(usageKeys), username, scope, username, scope]);
        if (emptied.length > 0) await execute(deleteEmptiedSql, [json(emptied.map((row) => row.id))]);
      });
    },

    async readFieldTimes(username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run<{ usage_key: string; field_name: string; modified: string }>((execute) =>
        execute(readFieldTimesSql, [json(usageKeys), username, scope, names, names]),
      );
      return rows.map((row) => ({ usageKey: row.usage_key, fieldName: row.field_name, modified: BigInt(row.modified) }));
    },

    async readHistory(username, scope, usageKey, before, limit): Promise<StoredHistoryEntry[]> {
      const cursor = before === null ? null : before.toString();
      const rows = await run<{ position: string; modified: string; fields: FieldTexts | null }>((execute) =>
        execute(readHistorySql, [username, usageKey, scope, cursor, cursor, limit]),
      );
      return rows.map((row) => ({ position: BigInt(row.position), fields: row.fields, modified: BigInt(row.modified) }));
    },

    async readPositionedStates(filter: IterationFilter, after, limit): Promise<PositionedState[]> {
      const rows = await run<StateRow & { position: string }>(async () => {
        const knex = orm.em.getKnex();
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
          .limit(limit);
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
  };
}
