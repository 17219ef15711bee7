// The change feed's SQL (see migration 0007). A reader's position is a
// snapshot: the changes after it are those of transactions it did not see
// finished. Between two snapshots `from` and `to`, the changes to read are
// those whose transaction is finished in `to` but not in `from`; every such
// transaction id is at least from's xmin and below to's xmax, a range the
// indexes on (tx) and (context_key, tx) serve. Snapshots and lists travel
// as bound parameters.

import { micros } from "./state-sql.js";

/** The channel writers' servers signal committed changes on, with the context key as payload. */
export const changeChannel = "learnerstate_changes";

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
      and c.tx >= pg_snapshot_xmin(?::pg_snapshot) and c.tx < pg_snapshot_xmax(?::pg_snapshot)
      and not pg_visible_in_snapshot(c.tx, ?::pg_snapshot) and pg_visible_in_snapshot(c.tx, ?::pg_snapshot)
      and c.id > ?::bigint
    order by c.id
    limit ?::int
  ) c on true`;

/**
 * Up to a limit of changes between two snapshots after an id, by id, with
 * the retention horizon as of the same statement (one row with no change
 * when there is none). Parameters: from, to, from, to, after, limit; the
 * context variant takes the contexts (a JSON array) first.
 */
export const changesOfContextsSql = changesBetween(`c.context_key in (select jsonb_array_elements_text(?::jsonb))`);
export const changesOfAllSql = changesBetween("true");

/** Signals other servers, once per context, that changes of it committed. */
export const signalChangesSql = `select pg_notify('${changeChannel}', c) from jsonb_array_elements_text(?::jsonb) as c`;
