import { Migration } from "@mikro-orm/migrations";

/**
 * The course catalog's tables, matching catalog/organization-row.ts,
 * catalog/catalog-course-row.ts and catalog/course-run-row.ts. The unique
 * indexes are what make creation race-safe (`insert … on conflict do
 * nothing`); the checks mirror openedx_catalog's constraints.
 */
export class Migration0004Catalog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table catalog_organization (
        id bigserial primary key,
        short_name text not null,
        name text not null,
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint catalog_organization_short_name_not_blank check (length(short_name) > 0)
      )`);
    this.addSql("create unique index catalog_organization_short_name_unique on catalog_organization (lower(short_name))");
    this.addSql(`
      create table catalog_course (
        id bigserial primary key,
        org_id bigint not null references catalog_organization (id) on delete restrict,
        course_code text not null,
        title text not null,
        language text not null default 'en',
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint catalog_course_course_code_not_blank check (length(course_code) > 0),
        constraint catalog_course_title_not_blank check (length(title) > 0),
        constraint catalog_course_language_lowercase check (language ~ '^[a-z][a-z](-[a-z0-9]+)*$')
      )`);
    this.addSql("create unique index catalog_course_org_code_unique on catalog_course (org_id, lower(course_code))");
    this.addSql("create index catalog_course_org_order_index on catalog_course (org_id, id)");
    this.addSql(`
      create table catalog_course_run (
        id bigserial primary key,
        catalog_course_id bigint not null references catalog_course (id) on delete restrict,
        course_key text not null,
        run_code text not null,
        title text not null,
        created timestamptz(6) not null default now(),
        modified timestamptz(6) not null default now(),
        constraint catalog_course_run_run_code_not_blank check (length(run_code) > 0),
        constraint catalog_course_run_title_not_blank check (length(title) > 0),
        constraint catalog_course_run_run_code_in_key check (strpos(course_key, run_code) > 0)
      )`);
    this.addSql("create unique index catalog_course_run_key_unique on catalog_course_run (lower(course_key))");
    this.addSql(
      "create unique index catalog_course_run_code_unique on catalog_course_run (catalog_course_id, run_code) where course_key not like 'ccx-v1:%'",
    );
    this.addSql("create index catalog_course_run_course_order_index on catalog_course_run (catalog_course_id, id)");
  }

  override async down(): Promise<void> {
    this.addSql("drop table catalog_course_run");
    this.addSql("drop table catalog_course");
    this.addSql("drop table catalog_organization");
  }
}
