import type { Knex } from "@mikro-orm/postgresql";
import type {
  CatalogCourseRef,
  CatalogStore,
  CourseRunDraft,
  CourseRunOutcome,
  StoredCatalogCourse,
  StoredCourseRun,
  StoredOrganization,
} from "../../domain/catalog/index.js";
import type { CallLimits } from "../../domain/state/index.js";
import type { DatabaseGuard } from "../database-guard.js";
import { createGuardedQueries, type Query } from "../guarded-queries.js";
import {
  conflictingCourseRunSql,
  deleteCatalogCourseSql,
  deleteCourseRunSql,
  findCatalogCourseOfOrganizationSql,
  findCatalogCourseSql,
  findCourseRunSql,
  findOrganizationSql,
  insertCatalogCourseSql,
  insertCourseRunSql,
  insertOrganizationSql,
  listCatalogCoursesOfOrganizationSql,
  listCatalogCoursesSql,
  listCourseRunsOfCatalogCourseSql,
  listCourseRunsSql,
  protectingRunsSql,
  updateCatalogCourseSql,
  updateCourseRunTitleSql,
  type CatalogCourseWhere,
} from "./catalog-sql.js";

interface OrganizationRecord {
  id: string;
  short_name: string;
  name: string;
  created: string;
  modified: string;
}

interface CatalogCourseRecord {
  id: string;
  course_code: string;
  title: string;
  language: string;
  created: string;
  modified: string;
  org_id: string;
  org_short_name: string;
  org_name: string;
  org_created: string;
  org_modified: string;
}

interface CourseRunRecord {
  id: string;
  course_key: string;
  run_code: string;
  title: string;
  created: string;
  modified: string;
  catalog_course_id: string;
  course_code: string;
  org_short_name: string;
}

const toOrganization = (row: OrganizationRecord): StoredOrganization => ({
  id: BigInt(row.id),
  shortName: row.short_name,
  name: row.name,
  created: BigInt(row.created),
  modified: BigInt(row.modified),
});

const toCatalogCourse = (row: CatalogCourseRecord): StoredCatalogCourse => ({
  id: BigInt(row.id),
  organization: { id: BigInt(row.org_id), shortName: row.org_short_name, name: row.org_name, created: BigInt(row.org_created), modified: BigInt(row.org_modified) },
  courseCode: row.course_code,
  title: row.title,
  language: row.language,
  created: BigInt(row.created),
  modified: BigInt(row.modified),
});

const toCourseRun = (row: CourseRunRecord): StoredCourseRun => ({
  id: BigInt(row.id),
  courseKey: row.course_key,
  catalogCourseId: BigInt(row.catalog_course_id),
  orgShortName: row.org_short_name,
  courseCode: row.course_code,
  runCode: row.run_code,
  title: row.title,
  created: BigInt(row.created),
  modified: BigInt(row.modified),
});

/** The statement variant and parameters that select the catalog course `ref` names. */
function whereOf(ref: CatalogCourseRef): { where: CatalogCourseWhere; params: string[] } {
  return ref.kind === "id" ? { where: "id", params: [ref.id.toString()] } : { where: "code", params: [ref.orgCode, ref.courseCode, ref.courseCode] };
}

const isForeignKeyViolation = (error: unknown) => (error as { code?: unknown }).code === "23503";

// Rows are found or made by `insert … on conflict do nothing`, then read: the
// unique index decides who creates. A row found conflicting but gone before it
// could be read (deleted meanwhile) is simply tried again.
const ensureAttempts = 3;

/** Ends a transaction with a refusal: nothing it wrote is kept. */
class Refusal extends Error {
  constructor(readonly outcome: CourseRunOutcome) {
    super(`course run not created: ${outcome.kind}`);
  }
}

/**
 * Implements the {@link CatalogStore} port with SQL sent through knex with
 * bound parameters, every statement under `guard` (circuit breaker, and
 * cancelled in PostgreSQL when its time is up), as the state repository does.
 */
export function createCatalogRepository(knex: Knex, guard: DatabaseGuard): CatalogStore {
  const { run, inTransaction } = createGuardedQueries(knex, guard);

  /** A keyset page: up to `limit` rows after id `after`, with `everySql`, or `ofParentSql` when a parent id narrows them. */
  const listAfter = <T>(call: CallLimits, everySql: string, ofParentSql: string, parentId: bigint | null, after: bigint | null, limit: number) => {
    const position = (after ?? 0n).toString();
    return run(call, "read", (query) => (parentId === null ? query<T>(everySql, [position, limit]) : query<T>(ofParentSql, [parentId.toString(), position, limit])));
  };

  async function ensure<T>(insert: () => Promise<T | undefined>, find: () => Promise<T | undefined>): Promise<{ row: T; created: boolean } | null> {
    for (let attempt = 0; attempt < ensureAttempts; attempt += 1) {
      const inserted = await insert();
      if (inserted !== undefined) return { row: inserted, created: true };
      const found = await find();
      if (found !== undefined) return { row: found, created: false };
    }
    return null;
  }

  async function organizationOf(query: Query, draft: CourseRunDraft): Promise<{ organization: StoredOrganization; created: boolean } | null> {
    const find = async () => (await query<OrganizationRecord>(findOrganizationSql, [draft.orgCode]))[0];
    if (!draft.createOrganization) {
      const found = await find();
      return found === undefined ? null : { organization: toOrganization(found), created: false };
    }
    const ensured = await ensure(async () => (await query<OrganizationRecord>(insertOrganizationSql, [draft.orgCode, draft.orgCode]))[0], find);
    if (ensured === null) throw new Error(`organization ${draft.orgCode} conflicted on insert but could not be read`);
    return { organization: toOrganization(ensured.row), created: ensured.created };
  }

  async function createCourseRun(query: Query, draft: CourseRunDraft): Promise<CourseRunOutcome> {
    const organization = await organizationOf(query, draft);
    if (organization === null) throw new Refusal({ kind: "organization-missing" });

    const findCourse = async () => (await query<CatalogCourseRecord>(findCatalogCourseOfOrganizationSql, [organization.organization.id.toString(), draft.courseCode]))[0];
    const course = await ensure(async () => {
      const [inserted] = await query<{ id: string }>(insertCatalogCourseSql, [organization.organization.id.toString(), draft.courseCode, draft.catalogCourseTitle, draft.language]);
      return inserted === undefined ? undefined : findCourse();
    }, findCourse);
    if (course === null) throw new Error(`catalog course ${draft.courseCode} conflicted on insert but could not be read`);
    const catalogCourse = toCatalogCourse(course.row);
    if (catalogCourse.courseCode !== draft.courseCode) throw new Refusal({ kind: "course-code-conflict", existing: catalogCourse });

    const courseId = catalogCourse.id.toString();
    const conflicting = async () =>
      (await query<CourseRunRecord>(conflictingCourseRunSql, [draft.courseKey, !draft.ccx, courseId, draft.runCode, draft.courseKey]))[0];
    const ensured = await ensure(async () => {
      const [inserted] = await query<{ id: string }>(insertCourseRunSql, [courseId, draft.courseKey, draft.runCode, draft.runTitle ?? catalogCourse.title]);
      return inserted === undefined ? undefined : (await query<CourseRunRecord>(findCourseRunSql, [draft.courseKey, draft.courseKey]))[0];
    }, conflicting);
    if (ensured === null) throw new Error(`course run ${draft.courseKey} conflicted on insert but could not be read`);
    const run = toCourseRun(ensured.row);
    if (run.courseKey !== draft.courseKey) throw new Refusal({ kind: "run-key-conflict", existing: run });
    return {
      kind: ensured.created ? "created" : "existed",
      run,
      catalogCourse,
      organizationCreated: organization.created,
      catalogCourseCreated: course.created,
    };
  }

  return {
    async findOrganization(call, shortName) {
      const [row] = await run(call, "read", (query) => query<OrganizationRecord>(findOrganizationSql, [shortName]));
      return row === undefined ? null : toOrganization(row);
    },

    async createOrganization(call, shortName, name) {
      const ensured = await inTransaction(call, (query) =>
        ensure(
          async () => (await query<OrganizationRecord>(insertOrganizationSql, [shortName, name]))[0],
          async () => (await query<OrganizationRecord>(findOrganizationSql, [shortName]))[0],
        ),
      );
      if (ensured === null) throw new Error(`organization ${shortName} conflicted on insert but could not be read`);
      return { organization: toOrganization(ensured.row), created: ensured.created };
    },

    async findCatalogCourse(call, ref) {
      const { where, params } = whereOf(ref);
      const [row] = await run(call, "read", (query) => query<CatalogCourseRecord>(findCatalogCourseSql(where), params));
      return row === undefined ? null : toCatalogCourse(row);
    },

    async updateCatalogCourse(call, ref, changes) {
      const { where, params } = whereOf(ref);
      const [row] =
        changes.title === null && changes.language === null
          ? await run(call, "read", (query) => query<CatalogCourseRecord>(findCatalogCourseSql(where), params))
          : await run(call, "write", (query) => query<CatalogCourseRecord>(updateCatalogCourseSql(where), [changes.title, changes.language, ...params]));
      return row === undefined ? null : toCatalogCourse(row);
    },

    async deleteCatalogCourse(call, ref, runsNamed) {
      const { where, params } = whereOf(ref);
      return run(call, "write", async (query) => {
        for (let attempt = 0; attempt < ensureAttempts; attempt += 1) {
          try {
            const deleted = await query(deleteCatalogCourseSql(where), params);
            return deleted.length === 0 ? { kind: "not-found" } : { kind: "deleted" };
          } catch (error) {
            // The foreign key of its runs (on delete restrict) refused the
            // deletion: the Django model's ProtectedError.
            if (!isForeignKeyViolation(error)) throw error;
          }
          const runs = await query<{ course_key: string; total: string }>(protectingRunsSql(where), [...params, runsNamed]);
          if (runs.length > 0) return { kind: "has-runs", courseKeys: runs.map((row) => row.course_key), count: Number(runs[0]!.total) };
        }
        throw new Error("a catalog course's runs kept refusing its deletion and vanishing");
      });
    },

    listCatalogCourses: async (call, organizationId, after, limit) =>
      (await listAfter<CatalogCourseRecord>(call, listCatalogCoursesSql, listCatalogCoursesOfOrganizationSql, organizationId, after, limit)).map(toCatalogCourse),

    async findCourseRun(call, courseKey) {
      const [row] = await run(call, "read", (query) => query<CourseRunRecord>(findCourseRunSql, [courseKey, courseKey]));
      return row === undefined ? null : toCourseRun(row);
    },

    async updateCourseRunTitle(call, courseKey, title) {
      const [row] = await run(call, "write", (query) => query<CourseRunRecord>(updateCourseRunTitleSql, [title, courseKey, courseKey]));
      return row === undefined ? null : toCourseRun(row);
    },

    async deleteCourseRun(call, courseKey) {
      const deleted = await run(call, "write", (query) => query(deleteCourseRunSql, [courseKey, courseKey]));
      return deleted.length > 0;
    },

    listCourseRuns: async (call, catalogCourseId, after, limit) =>
      (await listAfter<CourseRunRecord>(call, listCourseRunsSql, listCourseRunsOfCatalogCourseSql, catalogCourseId, after, limit)).map(toCourseRun),

    async createCourseRun(call, draft) {
      try {
        return await inTransaction(call, (query) => createCourseRun(query, draft));
      } catch (error) {
        if (error instanceof Refusal) return error.outcome;
        throw error;
      }
    },
  };
}
