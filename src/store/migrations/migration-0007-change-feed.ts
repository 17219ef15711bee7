import { Migration } from "@mikro-orm/migrations";

/**
 * The change feed (WatchChanges), matching state-change-row.ts: one row per
 * committed change of a stored state, written by the statement that makes
 * the change, with the id of the transaction that wrote it (`tx`), by which
 * readers find what committed between two snapshots (change-feed-sql.ts).
 * The primary key (tx, id) serves readers of every course and the feed's
 * retention; the context index serves readers of one course.
 * change_feed_horizon holds the transaction id below which retention has
 * removed changes: a resume position older than it is refused.
 */
export class Migration0007ChangeFeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table state_change (
        id bigserial not null,
        tx xid8 not null default pg_current_xact_id(),
        scope text not null,
        username text not null,
        state_key text not null,
        context_key text not null,
        block_type text not null,
        kind text not null,
        field_names text[] not null,
        modified timestamptz(6) not null,
        constraint state_change_kind_check check (kind in ('written', 'fields_deleted', 'deleted', 'retired')),
        constraint state_change_pkey primary key (tx, id)
      )`);
    this.addSql(`create index state_change_context_index on state_change (context_key, tx)`);
    this.addSql(`
      create table change_feed_horizon (
        id int primary key default 1,
        removed_before xid8 not null,
        constraint change_feed_horizon_one_row check (id = 1)
      )`);
    this.addSql(`insert into change_feed_horizon (removed_before) values ('0'::xid8)`);
  }

  override async down(): Promise<void> {
    this.addSql("drop table change_feed_horizon");
    this.addSql("drop table state_change");
  }
}
