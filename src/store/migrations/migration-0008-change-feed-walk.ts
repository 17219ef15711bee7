import { Migration } from "@mikro-orm/migrations";

/**
 * The change feed reads a batch of changes by walking ids (change-feed-sql.ts),
 * so that a read costs what it looks at rather than the whole batch: an index
 * of ids for readers of every course, and (context_key, id) for readers of
 * some courses, which replaces (context_key, tx). Matches state-change-row.ts.
 */
export class Migration0008ChangeFeedWalk extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index state_change_id_index on state_change (id)`);
    this.addSql(`create index state_change_context_id_index on state_change (context_key, id)`);
    this.addSql(`drop index state_change_context_index`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index state_change_context_index on state_change (context_key, tx)`);
    this.addSql(`drop index state_change_context_id_index`);
    this.addSql(`drop index state_change_id_index`);
  }
}
