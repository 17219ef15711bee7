// The SQL of history retention. Like state-sql.ts, one text per table family,
// with only the fixed table and column names differing; every value is a
// bound parameter (knex's `?`).

import type { StateTables } from "./state-sql.js";

/** The largest history id of each family now (null when empty): where a retention pass ends. */
export const historyEndsSql = (families: Readonly<Record<string, StateTables>>) =>
  `select ${Object.entries(families)
    .map(([name, tables]) => `(select max(id) from ${tables.history})::text as ${name}`)
    .join(", ")}`;

/**
 * One retention batch: examines the entries after the cursor (bound 1) up to
 * the pass's end (bound 2), at most bound 3 of them, by id through the
 * primary key, and deletes those that have at least N newer entries of the
 * same state (bounds 4, 5: N or null), or were written more than D days ago
 * and have a newer entry (bounds 6, 7: D or null). The newest entry of a state
 * is never deleted. Rows another transaction holds (a learner being erased)
 * are skipped rather than waited for, and no row of current state is read or
 * locked: writers, who only insert history, never wait for this statement.
 */
export const purgeHistoryBatchSql = ({ history, key }: StateTables) => {
  const newerOfSameState = `select 1 from ${history} n where n.username = h.username and n.${key} = h.${key} and n.scope = h.scope and n.id > h.id`;
  return `
  with examined as (
    select h.id from ${history} h
    where h.id > ?::bigint and h.id <= ?::bigint
    order by h.id
    limit ?
  ), doomed as (
    select h.id from ${history} h join examined e on e.id = h.id
    where (?::int is not null and exists (${newerOfSameState} offset (?::int - 1) limit 1))
       or (?::int is not null and h.modified < now() - make_interval(days => ?::int) and exists (${newerOfSameState}))
    for update of h skip locked
  ), purged as (
    delete from ${history} h using doomed d where h.id = d.id returning 1
  )
  select (select max(id) from examined)::text as last_examined,
         (select count(*) from examined)::int as examined,
         (select count(*) from purged)::int as purged`;
};
