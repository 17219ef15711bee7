// The change feed's SQL (see migrations 0007 and 0008). A reader's position
// is a snapshot: the changes after it are those of transactions it did not
// see finished. Between two snapshots `from` and `to`, the changes to read
// are those whose transaction is finished in `to` but not in `from`: each
// such transaction id is either one `from` saw running or at least from's
// xmax, and below to's xmax, ranges the (tx, id) key serves (not [xmin,
// xmax): a long transaction holds xmin back, and the range would grow with
// every change committed while it runs). Snapshots and lists travel as bound
// parameters.

import { micros } from "./state-sql.js";

/** The database's snapshot now. */
export const currentSnapshotSql = `select pg_current_snapshot()::text as snapshot`;

// Whether change `c` is of the batch between snapshots `from` and `to` (parameters: from, from, to, to).
const inBatch = `(c.tx >= pg_snapshot_xmax(?::pg_snapshot) or c.tx = any(array(select pg_snapshot_xip(?::pg_snapshot))))
      and c.tx < pg_snapshot_xmax(?::pg_snapshot) and pg_visible_in_snapshot(c.tx, ?::pg_snapshot)`;

// A batch's changes are read by walking ids, as they must come in id order:
// each read looks at the next changes after the last id looked at, on an
// index of ids, and keeps those of the batch, so that it costs what it looks
// at however long the batch is. (Selecting the batch by transaction and
// sorting it by id cost each read the whole batch: a backlog of millions of
// changes took an hour of reads.) The first read of a batch starts before its
// smallest id, found once on the (tx, id) key. A change of a transaction at
// or after to's xmax was made after `to` was taken, so its id is above every
// id of the batch: the walk is over when it meets one, or runs out of rows.
// (`c.id + 0` keeps PostgreSQL from taking min() off the index of ids, which
// would walk from the table's first id to the batch's: for a recent batch,
// the whole table.)
const changesWalked = (walk: string) => `
  with start as (
    select case when ?::bigint > 0 then ?::bigint
                else (select min(c.id + 0) - 1 from state_change c where ${inBatch}) end as after_id
  ), walked as materialized (${walk}
  ), reach as (
    select max(w.id) as last_id, count(*) < ?::int or coalesce(bool_or(w.tx >= pg_snapshot_xmax(?::pg_snapshot)), false) as complete
    from walked w
  )
  select h.removed_before::text as removed_before, r.last_id::text as last_id, r.complete, c.*
  from change_feed_horizon h cross join reach r
  left join lateral (
    select c.id::text as id, c.scope, c.username, c.state_key, c.context_key, c.block_type, c.kind, c.field_names,
           ${micros("c.modified")} as modified
    from walked c
    where ${inBatch}
    order by c.id
  ) c on true`;

/**
 * One read of the changes between two snapshots, by id after a given one
 * (0: from the batch's start): those among the next `limit` changes of the
 * walked contexts, with the last id looked at, whether the batch is over, and
 * the retention horizon as of the same statement (one row with no change
 * when none is of the batch). Parameters: after, after, from, from, to, to
 * (the batch's start), then the walk's, then limit, to (the end), then
 * from, from, to, to (the batch's changes).
 */
export const changesOfAllSql = changesWalked(`
    select c.* from state_change c
    where c.id > (select after_id from start)
    order by c.id
    limit ?::int`);

/** The same over the changes of some learning contexts (a JSON array), each walked on the (context_key, id) index. */
export const changesOfContextsSql = changesWalked(`
    select c.* from jsonb_array_elements_text(?::jsonb) as k(context_key)
    cross join lateral (
      select c.* from state_change c
      where c.context_key = k.context_key and c.id > (select after_id from start)
      order by c.id
      limit ?::int
    ) c
    order by c.id
    limit ?::int`);

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
