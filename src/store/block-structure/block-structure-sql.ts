// The SQL behind the block structure repository, in one place so that the
// benchmark can compare against exactly these statements. Placeholders are
// knex's `?`, bound in order; lists travel as one JSON-array parameter.
import { micros } from "../state-sql.js";

/** A bigint microseconds parameter as timestamptz, exact (interval arithmetic in integers, no float). */
const timestampOf = (parameter: string) => `('epoch'::timestamptz + (${parameter}::bigint::text || ' microseconds')::interval)`;

const versionColumns = (table: string) => `
  ${table}.context_key, ${table}.data_usage_key, ${table}.data_version, ${micros(`${table}.data_edit_timestamp`)} as data_edit_timestamp,
  ${table}.transformers_schema_version, ${table}.block_structure_schema_version, ${table}.block_count, ${table}.revision::text as revision`;

/**
 * The asked-for fields (a JSON array parameter) of a user_state row's state,
 * as one object, for the rows of one learner and scope among some keys.
 */
const statesOf = (keysCondition: string) => `
  select coalesce(jsonb_object_agg(s.usage_key,
           (select coalesce(jsonb_object_agg(f.name, s.state -> f.name), '{}'::jsonb)
            from jsonb_array_elements_text(?::jsonb) as f(name) where jsonb_exists(s.state, f.name))), '{}'::jsonb)
  from user_state s
  where s.username = ? and s.scope = ? and ${keysCondition}`;

// One statement: the upsert stores the structure only when it is newer (its
// WHERE decides under the row lock), and the second branch reports what was
// kept when it did not. Parameters: context, root, data version, edit time
// (µs), transformers' hash, schema version, block count, state keys (JSON),
// data (bytea), edit time again, context again.
export const writeStructureSql = `
  with written as (
    insert into block_structure as b (context_key, data_usage_key, data_version, data_edit_timestamp, transformers_schema_version,
                                      block_structure_schema_version, block_count, state_keys, data)
    values (?, ?, ?, ${timestampOf("?")}, ?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)), ?)
    on conflict (context_key) do update
      set data_usage_key = excluded.data_usage_key,
          data_version = excluded.data_version,
          data_edit_timestamp = excluded.data_edit_timestamp,
          transformers_schema_version = excluded.transformers_schema_version,
          block_structure_schema_version = excluded.block_structure_schema_version,
          block_count = excluded.block_count,
          state_keys = excluded.state_keys,
          data = excluded.data,
          revision = nextval('block_structure_revision_seq'),
          modified = now()
      where b.data_edit_timestamp < excluded.data_edit_timestamp
         or (b.data_edit_timestamp = excluded.data_edit_timestamp
             and (b.data_version is distinct from excluded.data_version
                  or b.data_usage_key <> excluded.data_usage_key
                  or b.transformers_schema_version <> excluded.transformers_schema_version
                  or b.block_structure_schema_version <> excluded.block_structure_schema_version))
    returning ${versionColumns("b")}
  )
  select w.*, 'stored' as outcome from written w
  union all
  select ${versionColumns("b")},
         case when b.data_edit_timestamp > ${timestampOf("?")} then 'stale' else 'unchanged' end as outcome
  from block_structure b
  where b.context_key = ? and not exists (select 1 from written)`;

// One statement: the structure of the first context that has one, its data
// only when the caller's cached revision differs, and the learner's state of
// the blocks it names in state_keys. Parameters: cached revision (or null),
// username (or null for no state), field names (JSON), username, scope,
// contexts (JSON).
export const readStructureSql = `
  select ${versionColumns("b")},
         case when b.revision = ?::bigint then null else b.data end as data,
         case when ?::text is null then null else (${statesOf("s.usage_key = any(b.state_keys)")}) end as states
  from jsonb_array_elements_text(?::jsonb) with ordinality as c(context_key, ord)
  join block_structure b on b.context_key = c.context_key
  order by c.ord
  limit 1`;

// Parameters: field names (JSON), username, scope, usage keys (JSON).
export const readUserStateSql = `select (${statesOf("s.usage_key in (select jsonb_array_elements_text(?::jsonb))")}) as states`;

// Parameters: contexts (JSON).
export const readVersionSql = `
  select ${versionColumns("b")}
  from jsonb_array_elements_text(?::jsonb) with ordinality as c(context_key, ord)
  join block_structure b on b.context_key = c.context_key
  order by c.ord
  limit 1`;

// Parameters: contexts (JSON).
export const deleteStructureSql = `
  delete from block_structure b
  using jsonb_array_elements_text(?::jsonb) as c(context_key)
  where b.context_key = c.context_key
  returning b.context_key`;
