// The SQL the state repository sends, in one place so the benchmark compares
// against exactly these statements. Placeholders are knex's `?`, bound in order.
// Every list travels as one JSON-array parameter (`jsonb_array_elements_text`),
// so statements keep a fixed text whatever the number of blocks, and no request
// string is ever spliced into SQL. The statements are written once for both
// table families (StateTables): only the fixed table and column names below
// differ between them.

/** The columns every statement that changes state writes to state_change, the change feed (migration 0007). */
const changeColumns = "(scope, username, state_key, context_key, block_type, kind, field_names, modified)";

/** Microseconds since the epoch of a timestamptz column, exact (extract() is numeric). */
export const micros = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;

// States leave PostgreSQL as the text of their jsonb, as stored, and the
// repository slices that text into fields (split-state-text.ts): splitting
// each state in SQL (jsonb_each, jsonb_object_agg) cost PostgreSQL 2.5 times
// the plain fetch, and the driver then parsed every value a second time.

/** The stored state, or (with a field selection) only its selected fields. */
const selectedState = (column: string) =>
  `case when ?::jsonb is null then ${column}
        else coalesce((select jsonb_object_agg(e.key, e.value) from jsonb_each(${column}) e
                       where e.key in (select jsonb_array_elements_text(?::jsonb))), '{}'::jsonb) end`;

/**
 * One family of state tables: current states and their history, keyed by
 * (username, key, scope), where username is "" for state shared by all
 * learners. Names are constants of this file, never request text.
 */
export interface StateTables {
  /** Current states. */
  readonly state: string;
  /** History of writes, one row per write. */
  readonly history: string;
  /** The column holding the key a scope stores state under. */
  readonly key: string;
}

/** Scope user_state: one row per learner and usage key (migration 0001). */
export const userStateTables: StateTables = { state: "user_state", history: "user_state_history", key: "usage_key" };

/**
 * Scopes preferences, user_info and user_state_summary: one row per learner
 * and block type, per learner, and per usage key (migration 0003). Kept apart
 * so that they add nothing to user_state's tables and indexes.
 */
export const otherScopesTables: StateTables = { state: "scoped_state", history: "scoped_state_history", key: "state_key" };

/** The statements of one table family. */
export interface StateStatements {
  readonly tables: StateTables;
  readonly readStates: string;
  readonly writeStates: string;
  readonly deleteStates: string;
  readonly trimFields: string;
  readonly deleteEmptied: string;
  readonly readFieldTimes: string;
  readonly readHistory: string;
  readonly lockVersions: string;
  readonly holdAbsent: string;
}

/** The repository's statements over `tables`. */
export function stateStatements(tables: StateTables): StateStatements {
  const { state, history, key } = tables;
  return {
    tables,

    // Read in binary (rows-out.ts), in the columns of the page statements
    // (copyStatePageSql): one row per requested key that has a state, in
    // request order, under the key as the caller spelled it (the second
    // array; NULL when every key is spelled as stored).
    readStates: `
  select s.username, coalesce(r.spelling, r.usage_key), s.id, s.modified, ${selectedState("s.state")}
  from rows from (jsonb_array_elements_text(?::jsonb), jsonb_array_elements_text(?::jsonb)) with ordinality as r(usage_key, spelling, ord)
  join ${state} s on s.username = ? and s.scope = ? and s.${key} = r.usage_key
  order by r.ord`,

    // One statement: the merge happens in PostgreSQL under the row lock, so
    // concurrent writers of different fields of one state never lose each
    // other's fields, and the history entry and the change (for the feed)
    // are written with the same snapshot of the row. A state's time only
    // increases (a clock that went back, or two writes in one microsecond,
    // move it on by 1 µs): with the row's id it is the state's etag.
    writeStates: `
  with input as (
    select i.ord, i.usage_key, i.context_key, i.block_type, i.state
    from jsonb_to_recordset(?::jsonb) as i(ord int, usage_key text, context_key text, block_type text, state jsonb)
  ), written as (
    insert into ${state} as s (username, ${key}, scope, context_key, block_type, state, field_modified)
    select ?, i.usage_key, ?, i.context_key, i.block_type, i.state,
           coalesce((select jsonb_object_agg(k, (extract(epoch from now()) * 1000000)::bigint)
                     from jsonb_object_keys(i.state) k), '{}'::jsonb)
    from input i
    on conflict (username, ${key}, scope) do update
      set state = s.state || excluded.state,
          field_modified = s.field_modified || excluded.field_modified,
          modified = greatest(excluded.modified, s.modified + interval '1 microsecond')
    returning s.id, s.username, s.scope, s.${key} as usage_key, s.context_key, s.block_type, s.state, s.modified
  ), logged as (
    insert into ${history} (username, ${key}, scope, state, modified)
    select ?, w.usage_key, ?, w.state, w.modified from written w
  ), changed as (
    insert into state_change ${changeColumns}
    select w.scope, w.username, w.usage_key, w.context_key, w.block_type, 'written',
           array(select k from jsonb_object_keys(i.state) k order by k collate "C"), w.modified
    from input i join written w on w.usage_key = i.usage_key
  )
  select i.ord, w.id::text as position, ${micros("w.modified")} as modified,
         case when octet_length(w.state::text) > ?::bigint
              then learnerstate_refuse_large_state(w.usage_key, octet_length(w.state::text), ?::bigint) end as refused
  from input i join written w on w.usage_key = i.usage_key
  order by i.ord`,

    deleteStates: `
  with removed as (
    delete from ${state} s
    using jsonb_array_elements_text(?::jsonb) as k(usage_key)
    where s.username = ? and s.scope = ? and s.${key} = k.usage_key
    returning s.username, s.scope, s.${key} as usage_key, s.context_key, s.block_type
  ), changed as (
    insert into state_change ${changeColumns}
    select r.scope, r.username, r.usage_key, r.context_key, r.block_type, 'deleted', '{}', now() from removed r
  ), logged as (
    insert into ${history} (username, ${key}, scope, state)
    select ?, r.usage_key, ?, null from removed r
  )
  select distinct r.context_key from removed r`,

    // Trims the fields under the row lock (taken first, by \`locked\`, which
    // also notes which of the names each state has) and logs the result;
    // rows left empty are deleted by a second statement in the same
    // transaction (one statement cannot both update and delete a row).
    trimFields: `
  with names as (select array(select jsonb_array_elements_text(?::jsonb)) as list),
  locked as (
    select s.id, array(select f from jsonb_object_keys(s.state) f where f = any(n.list) order by f collate "C") as removed
    from ${state} s, names n, jsonb_array_elements_text(?::jsonb) as k(usage_key)
    where s.username = ? and s.scope = ? and s.${key} = k.usage_key and jsonb_exists_any(s.state, n.list)
    for update of s
  ), trimmed as (
    update ${state} s
    set state = s.state - n.list, field_modified = s.field_modified - n.list,
        modified = greatest(now(), s.modified + interval '1 microsecond')
    from names n, locked l
    where s.id = l.id
    returning s.id, s.username, s.scope, s.${key} as usage_key, s.context_key, s.block_type, s.state, s.modified, l.removed
  ), logged as (
    insert into ${history} (username, ${key}, scope, state, modified)
    select ?, t.usage_key, ?, case when t.state = '{}'::jsonb then null else t.state end, t.modified from trimmed t
  ), changed as (
    insert into state_change ${changeColumns}
    select t.scope, t.username, t.usage_key, t.context_key, t.block_type,
           case when t.state = '{}'::jsonb then 'deleted' else 'fields_deleted' end, t.removed, t.modified
    from trimmed t
  )
  select t.id::text as id, t.context_key, t.state = '{}'::jsonb as emptied from trimmed t`,

    deleteEmptied: `delete from ${state} where id in (select value::bigint from jsonb_array_elements_text(?::jsonb))`,

    // As readStates: in request order, under the key as the caller spelled it.
    readFieldTimes: `
  select coalesce(r.spelling, r.usage_key) as usage_key, f.key as field_name, f.value::text as modified
  from rows from (jsonb_array_elements_text(?::jsonb), jsonb_array_elements_text(?::jsonb)) with ordinality as r(usage_key, spelling, ord)
  join ${state} s on s.username = ? and s.scope = ? and s.${key} = r.usage_key
  cross join lateral jsonb_each(s.field_modified) f
  where ?::jsonb is null or f.key in (select jsonb_array_elements_text(?::jsonb))
  order by r.ord, f.key collate "C"`,

    // Preconditions (SetMany, DeleteMany with etags): every state the call
    // writes is locked first, in key order, so that two such calls take their
    // locks in one order, and the conditioned ones are judged on their
    // versions before anything is written.
    lockVersions: `
  select s.${key} as usage_key, s.id::text as position, ${micros("s.modified")} as modified
  from ${state} s
  where s.username = ? and s.scope = ? and s.${key} in (select jsonb_array_elements_text(?::jsonb))
  order by s.${key} collate "C"
  for update`,

    // A state a precondition needs absent is held so until the end of the
    // transaction by a placeholder row (its key taken in the unique index):
    // a concurrent writer of that state waits. SetMany's write then fills the
    // placeholder (its time, -infinity, gives way to the write's); DeleteMany
    // removes it unlogged. Keys returned were inserted; a key not returned
    // was created meanwhile by another transaction, now committed.
    holdAbsent: `
  insert into ${state} (username, ${key}, scope, context_key, block_type, state, field_modified, modified)
  select ?, i.usage_key, ?, i.context_key, i.block_type, '{}'::jsonb, '{}'::jsonb, '-infinity'
  from jsonb_to_recordset(?::jsonb) as i(usage_key text, context_key text, block_type text)
  on conflict do nothing
  returning ${key} as usage_key, id::text as id`,

    readHistory: `
  select h.id::text as position, ${micros("h.modified")} as modified,
         h.state::text as state
  from ${history} h
  where h.username = ? and h.${key} = ? and h.scope = ? and (?::bigint is null or h.id < ?::bigint)
  order by h.id desc
  limit ?`,
  };
}

/** The statements of scope user_state, exactly as the service sends them. */
export const userStateStatements = stateStatements(userStateTables);

/** The statements of scopes preferences, user_info and user_state_summary. */
export const otherScopesStatements = stateStatements(otherScopesTables);

// Erases one learner in one statement: atomic without a transaction, and
// bounded by one statement timeout. Rows of username "" (user_state_summary)
// are no learner's and never match, since usernames are never empty.
// The change feed gets one change per course the learner had state in (""
// for the scopes of no course).
export const eraseLearnerSql = `
  with states as (delete from ${userStateTables.state} where username = ? returning context_key),
  history as (delete from ${userStateTables.history} where username = ? returning 1),
  other_states as (delete from ${otherScopesTables.state} where username = ? returning scope, context_key),
  other_history as (delete from ${otherScopesTables.history} where username = ? returning 1),
  changed as (
    insert into state_change ${changeColumns}
    select '', ?, '', c.context_key, '', 'retired', '{}', now()
    from (select context_key from states union select context_key from other_states) c
  )
  select array(select context_key from states union select context_key from other_states) as contexts,
         (select count(*) from states)::int as user_states,
         (select count(*) from other_states where scope = 'preferences')::int as preferences,
         (select count(*) from other_states where scope = 'user_info')::int as user_infos,
         ((select count(*) from history) + (select count(*) from other_history))::int as history_entries`;

// Pages of current states for the IterAll calls leave PostgreSQL as binary
// COPY output (see state-page-reader.ts and copy-out.ts): one byte stream, no per-row
// message for the driver to decode into strings. COPY takes no bound
// parameters, so each page's values are set on the connection first
// (set_config, bound) and read here with current_setting; these texts are
// constants.

/** The connection settings the page statements read, by what they hold. */
export const pageSettings = {
  scope: "learnerstate.page_scope",
  key: "learnerstate.page_key",
  context: "learnerstate.page_context",
  otherContext: "learnerstate.page_other_context",
  blockType: "learnerstate.page_block_type",
  after: "learnerstate.page_after",
  rows: "learnerstate.page_rows",
  owner: "learnerstate.page_owner",
  before: "learnerstate.page_before",
} as const;

/** Which states a page statement selects: one key's, or a course's (one or two context keys), of any type or one. */
export type PageSelection = "key" | "context" | "context-of-type" | "two-contexts" | "two-contexts-of-type";

// Each setting is read through a scalar subquery: PostgreSQL then treats it
// as a parameter and estimates rows from the column's statistics, where a
// bare current_setting() call got a fixed guess that made it read a whole
// long history and sort it, for every page.
const setting = (name: string) => `(select current_setting('${name}'))`;

/**
 * The COPY statement of one page of `tables`' current states: username, key,
 * position (int8), modification time (timestamptz) and state (jsonb), in
 * binary, at most the page's rows after its position, by position. The
 * indexes on (scope, key, id) and (scope, context_key[, block_type], id)
 * serve each selection in order.
 */
function copyStatePageSql(tables: StateTables, selection: PageSelection): string {
  const { state, key } = tables;
  const contexts = selection.startsWith("two-contexts") ? `in (${setting(pageSettings.context)}, ${setting(pageSettings.otherContext)})` : `= ${setting(pageSettings.context)}`;
  const typed = selection.endsWith("of-type");
  const where =
    selection === "key" ? `s.${key} = ${setting(pageSettings.key)}` : `s.context_key ${contexts}${typed ? ` and s.block_type = ${setting(pageSettings.blockType)}` : ""}`;
  // Ordered by every column of the index that serves the selection (those
  // before id are fixed, so the order is id's), which the index gives as it
  // is walked: a page reads its rows and stops. Two contexts interleave, so
  // they are sorted.
  const order = selection === "key" ? `s.scope, s.${key}, s.id` : selection.startsWith("two-contexts") ? "s.id" : `s.scope, s.context_key, ${typed ? "s.block_type, " : ""}s.id`;
  return `copy (
  select s.username, s.${key}, s.id, s.modified, s.state
  from ${state} s
  where s.scope = ${setting(pageSettings.scope)} and ${where} and s.id > ${setting(pageSettings.after)}::bigint
  order by ${order}
  limit ${setting(pageSettings.rows)}::int
) to stdout (format binary)`;
}

const selections: readonly PageSelection[] = ["key", "context", "context-of-type", "two-contexts", "two-contexts-of-type"];

/** Every page statement of `tables`, by selection. */
export function copyStatePageStatements(tables: StateTables): Readonly<Record<PageSelection, string>> {
  return Object.fromEntries(selections.map((selection) => [selection, copyStatePageSql(tables, selection)])) as Record<PageSelection, string>;
}

/**
 * The COPY statement of one page of `tables`' history of one state (owner,
 * key, scope), newest first before a position, in the columns of a state
 * page (the state NULL for a deletion), ordered by every column of the index
 * on (username, key, scope, id), which serves it backwards (see
 * copyStatePageSql).
 */
export function copyHistoryPageSql(tables: StateTables): string {
  const { history, key } = tables;
  return `copy (
  select h.username, h.${key}, h.id, h.modified, h.state
  from ${history} h
  where h.username = ${setting(pageSettings.owner)} and h.${key} = ${setting(pageSettings.key)} and h.scope = ${setting(pageSettings.scope)}
    and h.id < ${setting(pageSettings.before)}::bigint
  order by h.username desc, h.${key} desc, h.scope desc, h.id desc
  limit ${setting(pageSettings.rows)}::int
) to stdout (format binary)`;
}
