import { Migration } from "@mikro-orm/migrations";

/**
 * Collected block structures, matching block-structure/block-structure-row.ts:
 * upstream's BlockStructureModel (one row per course, with its version
 * fields) plus the compressed structure itself, the keys of the blocks whose
 * learner state its transformers read, and a revision the servers' caches
 * check on every read.
 */
export class Migration0005BlockStructure extends Migration {
  override async up(): Promise<void> {
    this.addSql("create sequence block_structure_revision_seq");
    this.addSql(`
      create table block_structure (
        id bigserial primary key,
        context_key text not null,
        data_usage_key text not null,
        data_version text null,
        data_edit_timestamp timestamptz(6) not null,
        transformers_schema_version text not null,
        block_structure_schema_version text not null,
        block_count integer not null,
        state_keys text[] not null,
        data bytea not null,
        revision bigint not null default nextval('block_structure_revision_seq'),
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint block_structure_context_unique unique (context_key)
      )`);
  }

  override async down(): Promise<void> {
    this.addSql("drop table block_structure");
    this.addSql("drop sequence block_structure_revision_seq");
  }
}
