import { Migration } from "@mikro-orm/migrations";

/**
 * Primary keys that lead with the learner, (username, id) instead of (id),
 * so that both tables can be distributed by username on Citus, which
 * requires every primary key and unique constraint to hold the distribution
 * column (docs/scale-out.md). Ids still come from one sequence each and
 * stay unique, so iteration order and resume tokens do not change.
 */
export class Migration0006CitusReadyKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table user_state drop constraint user_state_pkey, add constraint user_state_pkey primary key (username, id)");
    this.addSql("alter table user_state_history drop constraint user_state_history_pkey, add constraint user_state_history_pkey primary key (username, id)");
  }

  override async down(): Promise<void> {
    this.addSql("alter table user_state_history drop constraint user_state_history_pkey, add constraint user_state_history_pkey primary key (id)");
    this.addSql("alter table user_state drop constraint user_state_pkey, add constraint user_state_pkey primary key (id)");
  }
}
