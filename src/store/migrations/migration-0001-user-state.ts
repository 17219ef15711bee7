import { Migration } from "@mikro-orm/migrations";

/** Current state and history tables, matching user-state-row.ts and user-state-history-row.ts. */
export class Migration0001UserState extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table user_state (
        id bigserial primary key,
        username text not null,
        usage_key text not null,
        scope text not null,
        context_key text not null,
        block_type text not null,
        state jsonb not null,
        field_modified jsonb not null,
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint user_state_learner_block_unique unique (username, usage_key, scope)
      )`);
    this.addSql(`create index user_state_block_order_index on user_state (scope, usage_key, id)`);
    this.addSql(`create index user_state_context_order_index on user_state (scope, context_key, id)`);
    this.addSql(`create index user_state_context_type_order_index on user_state (scope, context_key, block_type, id)`);
    this.addSql(`
      create table user_state_history (
        id bigserial primary key,
        username text not null,
        usage_key text not null,
        scope text not null,
        state jsonb null,
        modified timestamptz(6) not null default now()
      )`);
    this.addSql(`create index user_state_history_block_index on user_state_history (username, usage_key, scope, id)`);
  }

  override async down(): Promise<void> {
    this.addSql("drop table user_state_history");
    this.addSql("drop table user_state");
  }
}
