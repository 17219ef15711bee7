import { Migration } from "@mikro-orm/migrations";

/**
 * Tables of scopes preferences, user_info and user_state_summary, matching
 * scoped-state-row.ts and scoped-state-history-row.ts. The unique key
 * (username, state_key, scope) serves reads, writes and learner erasure; the
 * order indexes serve the IterAll calls (by key for a block's summary or a
 * block type's preferences, by context and type for a course's summaries);
 * the history index serves GetHistory, retention and erasure. user_state and
 * its indexes are untouched.
 */
export class Migration0003OtherScopes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table scoped_state (
        id bigserial primary key,
        username text not null,
        state_key text not null,
        scope text not null,
        context_key text not null,
        block_type text not null,
        state jsonb not null,
        field_modified jsonb not null,
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint scoped_state_scope_check check (scope in ('preferences', 'user_info', 'user_state_summary')),
        constraint scoped_state_owner_key_unique unique (username, state_key, scope)
      )`);
    this.addSql(`create index scoped_state_key_order_index on scoped_state (scope, state_key, id)`);
    this.addSql(`create index scoped_state_context_order_index on scoped_state (scope, context_key, id)`);
    this.addSql(`create index scoped_state_context_type_order_index on scoped_state (scope, context_key, block_type, id)`);
    this.addSql(`
      create table scoped_state_history (
        id bigserial primary key,
        username text not null,
        state_key text not null,
        scope text not null,
        state jsonb null,
        modified timestamptz(6) not null default now()
      )`);
    this.addSql(`create index scoped_state_history_state_index on scoped_state_history (username, state_key, scope, id)`);
  }

  override async down(): Promise<void> {
    this.addSql("drop table scoped_state_history");
    this.addSql("drop table scoped_state");
  }
}
