// The change feed's SQL (see migration 0007). A reader's position is a
// snapshot: the changes after it are those of transactions it did not see
// finished. Between two snapshots `from` and `to`, the changes to read are
// those whose transaction is finished in `to` but not in `from`: each such
// transaction id is either one `from` saw running or at least from's xmax,
// and below to's xmax, ranges the indexes on (tx, id) and (context_key, tx)
// serve (not [xmin, xmax): a long transaction holds xmin back, and the range
// would grow with every change committed while it runs). Snapshots and lists
// travel as bound parameters.

import { micros } from "./state-sql.js";

/** The database's snapshot now. */
export const currentSnapshotSql = `select pg_current_snapshot()::text as snapshot`;

const changesBetween = (contextCondition: string) => `
  select h.removed_before::text as removed_before, c.*
  from change_feed_horizon h
  left join lateral (
    select c.id::text as id, c.scope, c.username, c.state_key, c.context_key, c.block_type, c.kind, c.field_names,
           ${micros("c.modified")} as modified
    from state_change c
    where ${contextCondition}
      and (c.tx >= pg_snapshot_xmax(?::pg_snapshot) or c.tx = any(array(select pg_snapshot_xip(?::pg_snapshot))))
      and c.tx < pg_snapshot_xmax(?::pg_snapshot) and pg_visible_in_snapshot(c.tx, ?::pg_snapshot)
      and c.id > ?::bigint
    order by c.id
    limit ?::int
  ) c on true`;

/**
 * Up to a limit of changes between two snapshots after an id, by id, with
 * the retention horizon as of the same statement (one row with no change
 * when there is none). Parameters: from, from, to, to, after, limit; the
 * context variant takes the contexts (a JSON array) first.
 */
export const changesOfContextsSql = changesBetween(`c.context_key in (select jsonb_array_elements_text(?::jsonb))`);
export const changesOfAllSql = changesBetween("true");

/**
 * The snapshot now, and the learning contexts of the changes committed since
 * an earlier snapshot (a parameter, given twice), each once.
 */
export const committedSinceSql = `
  select s.now::text as now,
         array(select distinct c.context_key from state_change c
               where (c.tx >= pg_snapshot_xmax(?::pg_snapshot) or c.tx = any(array(select pg_snapshot_xip(?::pg_snapshot))))
                 and c.tx < pg_snapshot_xmax(s.now)) as contexts
  from (select pg_current_snapshot() as now) s`;

/**
 * Removes up to about a batch of the oldest changes, those older than the
 * retention (seconds, a parameter), and raises the horizon past the largest
 * transaction id removed, in one statement: readers see both or neither. It
 * removes whole transactions below a bound that never passes the oldest
 * transaction still running (whose changes may not be visible yet) nor the
 * oldest change within the retention; a transaction larger than the batch is
 * removed with the batch it starts. Parameters: batch rows, retention
 * seconds. Returns the rows removed; with none, nothing is written.
 */
export const removeOldChangesSql = `
  with oldest as (
    select c.tx, c.modified from state_change c order by c.tx limit ?::int
  ), bound as (
    select least(
      pg_snapshot_xmin(pg_current_snapshot()),
      coalesce(
        (select min(o.tx) from oldest o where o.modified >= now() - make_interval(secs => ?::double precision)),
        (select ((max(o.tx)::text)::numeric + 1)::text::xid8 from oldest o),
        '0'::xid8)) as removed_before
  ), removed as (
    delete from state_change c using bound b where c.tx < b.removed_before returning c.tx
  ), horizon as (
    update change_feed_horizon h
    set removed_before = greatest(h.removed_before, ((select max(r.tx) from removed r)::text::numeric + 1)::text::xid8)
    where exists (select 1 from removed)
  )
  select count(*)::int as removed from removed`;
