import { defineEntity } from "@mikro-orm/core";

/**
 * An organization (edx-organizations' `Organization`). Schema only: reads
 * and writes go through catalog-sql.ts. The unique index on
 * `lower(short_name)` is what makes concurrent creators of one organization
 * create it once.
 */
export const OrganizationRow = defineEntity({
  name: "OrganizationRow",
  tableName: "catalog_organization",
  properties: (p) => ({
    id: p.bigint("string").primary().autoincrement(),
    /** Unique regardless of case; never empty (check constraint). */
    shortName: p.text(),
    name: p.text(),
    created: p.datetime(6).defaultRaw("now()"),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  uniques: [{ name: "catalog_organization_short_name_unique", expression: "create unique index catalog_organization_short_name_unique on catalog_organization (lower(short_name))" }],
});
