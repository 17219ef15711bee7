// The statements src/store/state-repository.ts sends, written out again with
// PostgreSQL's $n placeholders, for the raw-SQL side of the benchmark. They
// are the thing being compared, so they must stay textually the same as the
// repository's (knex turns each `?` into the next `$n`). If the repository's
// SQL changes, change these too; run.ts checks the row counts each returns.

const micros = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;

const fieldTexts = (column: string, filter = "") =>
  `coalesce((select jsonb_object_agg(e.key, e.value::text) from jsonb_each(${column}) e ${filter}), '{}'::jsonb)`;

/** GetMany: $1 and $2 the field names (null: all), $3 the usage keys as a JSON array, $4 username, $5 scope. */
export const readStatesSql = `
  select s.username, s.usage_key, ${micros("s.modified")} as modified,
         ${fieldTexts("s.state", "where $1::jsonb is null or e.key in (select jsonb_array_elements_text($2::jsonb))")} as fields
  from jsonb_array_elements_text($3::jsonb) with ordinality as r(usage_key, ord)
  join user_state s on s.username = $4 and s.scope = $5 and s.usage_key = r.usage_key
  order by r.ord`;

/**
 * SetMany: $1 the blocks as a JSON array of {ord, usage_key, context_key,
 * block_type, state}, $2 username, $3 scope, $4 username, $5 scope, $6 and $7
 * the largest state in bytes.
 */
export const writeStatesSql = `
  with input as (
    select i.ord, i.usage_key, i.context_key, i.block_type, i.state
    from jsonb_to_recordset($1::jsonb) as i(ord int, usage_key text, context_key text, block_type text, state jsonb)
  ), written as (
    insert into user_state as s (username, usage_key, scope, context_key, block_type, state, field_modified)
    select $2, i.usage_key, $3, i.context_key, i.block_type, i.state,
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
    select $4, w.usage_key, $5, w.state, w.modified from written w
  )
  select i.ord, ${micros("w.modified")} as modified,
         case when octet_length(w.state::text) > $6::bigint
              then learnerstate_refuse_large_state(w.usage_key, octet_length(w.state::text), $7::bigint) end as refused
  from input i join written w on w.usage_key = i.usage_key
  order by i.ord`;

/**
 * The select of one IterAllForCourse page as knex compiles it in
 * readPositionedStates, without its `limit`: $1 scope, $2 the id to start
 * after (as text, as knex binds it), $3 the context key.
 */
const positionedStatesSelect = `select "s"."username", "s"."usage_key", s.id::text as position, ${micros("s.modified")} as modified, ${fieldTexts("s.state")} as fields from "user_state" as "s" where "s"."scope" = $1 and "s"."id" > $2 and "s"."context_key" in ($3) order by "s"."id" asc`;

/** One keyset page, exactly the service's: $4 the page size. */
export const positionedStatesPageSql = `${positionedStatesSelect} limit $4`;

/** The same select behind a server-side cursor, read with FETCH. */
export const declareCursorSql = `declare bench_rows no scroll cursor for ${positionedStatesSelect}`;

export const fetchCursorSql = (rows: number) => `fetch ${rows} from bench_rows`;

/** A row of GetMany or IterAll, as the driver returns it. */
export interface StateRow {
  username: string;
  usage_key: string;
  modified: string;
  fields: Record<string, string>;
}
