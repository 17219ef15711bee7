// The SQL the state repository sends, in one place so the benchmark compares
// against exactly these statements. Placeholders are knex's `?`, bound in order.
// Every list travels as one JSON-array parameter (`jsonb_array_elements_text`),
// so statements keep a fixed text whatever the number of blocks, and no request
// string is ever spliced into SQL.

/** Microseconds since the epoch of a timestamptz column, exact (extract() is numeric). */
export const micros = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;

/** A jsonb state as an object of field name → the JSON text of its value. */
export const fieldTexts = (column: string, filter = "") =>
  `coalesce((select jsonb_object_agg(e.key, e.value::text) from jsonb_each(${column}) e ${filter}), '{}'::jsonb)`;

export const readStatesSql = `
  select s.username, s.usage_key, ${micros("s.modified")} as modified,
         ${fieldTexts("s.state", "where ?::jsonb is null or e.key in (select jsonb_array_elements_text(?::jsonb))")} as fields
  from jsonb_array_elements_text(?::jsonb) with ordinality as r(usage_key, ord)
  join user_state s on s.username = ? and s.scope = ? and s.usage_key = r.usage_key
  order by r.ord`;

// One statement: the merge happens in PostgreSQL under the row lock, so
// concurrent writers of different fields of one block never lose each other's
// fields, and the history entry is written with the same snapshot of the row.
export const writeStatesSql = `
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

export const deleteStatesSql = `
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
export const trimFieldsSql = `
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

export const deleteEmptiedSql = `delete from user_state where username = ? and id in (select value::bigint from jsonb_array_elements_text(?::jsonb))`;

export const readFieldTimesSql = `
  select s.usage_key, f.key as field_name, f.value::text as modified
  from jsonb_array_elements_text(?::jsonb) with ordinality as r(usage_key, ord)
  join user_state s on s.username = ? and s.scope = ? and s.usage_key = r.usage_key
  cross join lateral jsonb_each(s.field_modified) f
  where ?::jsonb is null or f.key in (select jsonb_array_elements_text(?::jsonb))
  order by r.ord, f.key collate "C"`;

export const readHistorySql = `
  select h.id::text as position, ${micros("h.modified")} as modified,
         case when h.state is null then null else ${fieldTexts("h.state")} end as fields
  from user_state_history h
  where h.username = ? and h.usage_key = ? and h.scope = ? and (?::bigint is null or h.id < ?::bigint)
  order by h.id desc
  limit ?`;

