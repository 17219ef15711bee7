import { defineEntity } from "@mikro-orm/core";
import { CatalogCourseRow } from "./catalog-course-row.js";

/**
 * A course run (openedx_catalog's `CourseRun`). Schema only. It protects its
 * catalog course (`on delete restrict`: the Django model's `PROTECT`). Two
 * unique indexes decide between concurrent creators: the course key
 * regardless of case, and (catalog course, run code) except for CCX keys,
 * which share their course's run. Check constraints keep the run code and
 * title non-empty and the run code inside the course key.
 */
export const CourseRunRow = defineEntity({
  name: "CourseRunRow",
  tableName: "catalog_course_run",
  properties: (p) => ({
    /** Identity; also the listing order (never reused). */
    id: p.bigint("string").primary().autoincrement(),
    catalogCourse: p.manyToOne(CatalogCourseRow).deleteRule("restrict"),
    /** Canonical course key. */
    courseKey: p.text(),
    runCode: p.text(),
    title: p.text(),
    created: p.datetime(6).defaultRaw("now()"),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  uniques: [
    { name: "catalog_course_run_key_unique", expression: "create unique index catalog_course_run_key_unique on catalog_course_run (lower(course_key))" },
    {
      name: "catalog_course_run_code_unique",
      expression: "create unique index catalog_course_run_code_unique on catalog_course_run (catalog_course_id, run_code) where course_key not like 'ccx-v1:%'",
    },
  ],
  indexes: [{ properties: ["catalogCourse", "id"], name: "catalog_course_run_course_order_index" }],
});
