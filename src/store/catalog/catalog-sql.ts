// The SQL the catalog repository sends. Placeholders are knex's `?`, bound in
// order; no request string is ever spliced into a statement. Keys and codes are
// matched through the expression indexes: `lower(x) = lower(?) and x = ?` finds
// an exact match with the case-insensitive unique index.
import { micros } from "../state-sql.js";

const organizationColumns = (alias: string, prefix: string) =>
  `${alias}.id::text as ${prefix}id, ${alias}.short_name as ${prefix}short_name, ${alias}.name as ${prefix}name,
   ${micros(`${alias}.created`)} as ${prefix}created, ${micros(`${alias}.modified`)} as ${prefix}modified`;

const catalogCourseColumns = `
  c.id::text as id, c.course_code, c.title, c.language, ${micros("c.created")} as created, ${micros("c.modified")} as modified,
  ${organizationColumns("o", "org_")}`;

const courseRunColumns = `
  r.id::text as id, r.course_key, r.run_code, r.title, ${micros("r.created")} as created, ${micros("r.modified")} as modified,
  c.id::text as catalog_course_id, c.course_code, o.short_name as org_short_name`;

/** Selects the catalog course by id (one parameter) or by org short name and course code (three). */
export const catalogCourseWhere = {
  id: "c.id = ?",
  code: "lower(o.short_name) = lower(?) and lower(c.course_code) = lower(?) and c.course_code = ?",
} as const;

/** Parameters of {@link catalogCourseWhere}. */
export type CatalogCourseWhere = keyof typeof catalogCourseWhere;

const runByKey = "lower(r.course_key) = lower(?) and r.course_key = ?";

export const findOrganizationSql = `select ${organizationColumns("o", "")} from catalog_organization o where lower(o.short_name) = lower(?)`;

export const insertOrganizationSql = `
  insert into catalog_organization as o (short_name, name) values (?, ?)
  on conflict do nothing
  returning ${organizationColumns("o", "")}`;

export const findCatalogCourseSql = (where: CatalogCourseWhere) =>
  `select ${catalogCourseColumns} from catalog_course c join catalog_organization o on o.id = c.org_id where ${catalogCourseWhere[where]}`;

/**
 * The organization's catalog course whose code equals `?` regardless of case,
 * locked against deletion (FOR KEY SHARE) until the transaction ends, so the
 * run about to reference it cannot lose it.
 */
export const findCatalogCourseOfOrganizationSql = `
  select ${catalogCourseColumns} from catalog_course c join catalog_organization o on o.id = c.org_id
  where c.org_id = ? and lower(c.course_code) = lower(?)
  for key share of c`;

export const insertCatalogCourseSql = `
  insert into catalog_course (org_id, course_code, title, language) values (?, ?, ?, ?)
  on conflict do nothing
  returning id`;

export const updateCatalogCourseSql = (where: CatalogCourseWhere) => `
  update catalog_course c set title = coalesce(?, c.title), language = coalesce(?, c.language), modified = now()
  from catalog_organization o
  where o.id = c.org_id and ${catalogCourseWhere[where]}
  returning ${catalogCourseColumns}`;

export const deleteCatalogCourseSql = (where: CatalogCourseWhere) => `
  delete from catalog_course c using catalog_organization o
  where o.id = c.org_id and ${catalogCourseWhere[where]}
  returning c.id`;

/** The first runs of the catalog course (limit `?`), each with the total count. */
export const protectingRunsSql = (where: CatalogCourseWhere) => `
  select r.course_key, count(*) over () as total
  from catalog_course_run r join catalog_course c on c.id = r.catalog_course_id join catalog_organization o on o.id = c.org_id
  where ${catalogCourseWhere[where]}
  order by r.id
  limit ?`;

export const listCatalogCoursesSql = `
  select ${catalogCourseColumns} from catalog_course c join catalog_organization o on o.id = c.org_id
  where c.id > ? order by c.id limit ?`;

export const listCatalogCoursesOfOrganizationSql = `
  select ${catalogCourseColumns} from catalog_course c join catalog_organization o on o.id = c.org_id
  where c.org_id = ? and c.id > ? order by c.id limit ?`;

const fromCourseRun = "catalog_course_run r join catalog_course c on c.id = r.catalog_course_id join catalog_organization o on o.id = c.org_id";

export const findCourseRunSql = `select ${courseRunColumns} from ${fromCourseRun} where ${runByKey}`;

export const updateCourseRunTitleSql = `
  update catalog_course_run r set title = ?, modified = now()
  from catalog_course c, catalog_organization o
  where c.id = r.catalog_course_id and o.id = c.org_id and ${runByKey}
  returning ${courseRunColumns}`;

export const deleteCourseRunSql = `delete from catalog_course_run r where ${runByKey} returning r.id`;

export const listCourseRunsSql = `select ${courseRunColumns} from ${fromCourseRun} where r.id > ? order by r.id limit ?`;

export const listCourseRunsOfCatalogCourseSql = `
  select ${courseRunColumns} from ${fromCourseRun} where r.catalog_course_id = ? and r.id > ? order by r.id limit ?`;

export const insertCourseRunSql = `
  insert into catalog_course_run (catalog_course_id, course_key, run_code, title) values (?, ?, ?, ?)
  on conflict do nothing
  returning id`;

/**
 * The run a new run's key conflicts with: the same key regardless of case
 * (parameters: key), or, unless the new run is a CCX run (parameter: true
 * when it is not), a non-CCX run of the same catalog course with the same run
 * code (catalog course id, run code). The exact key first.
 */
export const conflictingCourseRunSql = `
  select ${courseRunColumns} from ${fromCourseRun}
  where lower(r.course_key) = lower(?)
     or (?::boolean and r.catalog_course_id = ? and r.run_code = ? and r.course_key not like 'ccx-v1:%')
  order by r.course_key = ? desc
  limit 1`;
