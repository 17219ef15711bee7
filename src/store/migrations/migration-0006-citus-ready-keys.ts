import { Migration } from "@mikro-orm/migrations";

// The learner's tables: each is distributed by username on Citus.
const tables = ["user_state", "user_state_history", "scoped_state", "scoped_state_history"];

/**
 * Primary keys (id, username) instead of (id) on the learner's tables, so
 * that they can be distributed by username on Citus, which requires every
 * primary key and unique constraint to hold the distribution column
 * (docs/scale-out.md). The index still leads with id, so every lookup and
 * range scan by id works as before; ids still come from one sequence per
 * table and stay unique.
 */
export class Migration0006CitusReadyKeys extends Migration {
  override async up(): Promise<void> {
    for (const table of tables) this.addSql(`alter table ${table} drop constraint ${table}_pkey, add constraint ${table}_pkey primary key (id, username)`);
  }

  override async down(): Promise<void> {
    for (const table of tables) this.addSql(`alter table ${table} drop constraint ${table}_pkey, add constraint ${table}_pkey primary key (id)`);
  }
}
