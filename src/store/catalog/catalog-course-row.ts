import { defineEntity } from "@mikro-orm/core";
import { OrganizationRow } from "./organization-row.js";

/**
 * A catalog course (openedx_catalog's `CatalogCourse`). Schema only. Its
 * organization cannot be deleted while it exists (`on delete restrict`), and
 * the unique index on (organization, lower(course_code)) decides between
 * concurrent creators. Check constraints keep the course code and title
 * non-empty and the language lowercase (`en`, `zh-cn`), as upstream's do.
 */
export const CatalogCourseRow = defineEntity({
  name: "CatalogCourseRow",
  tableName: "catalog_course",
  properties: (p) => ({
    id: p.bigint("string").primary().autoincrement(),
    org: p.manyToOne(OrganizationRow).deleteRule("restrict"),
    courseCode: p.text(),
    title: p.text(),
    language: p.text().defaultRaw("'en'"),
    created: p.datetime(6).defaultRaw("now()"),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  uniques: [
    { name: "catalog_course_org_code_unique", expression: "create unique index catalog_course_org_code_unique on catalog_course (org_id, lower(course_code))" },
  ],
  indexes: [{ properties: ["org", "id"], name: "catalog_course_org_order_index" }],
});
