import type pg from "pg";

/** How many rows the catalog holds for one org short name (regardless of case), read behind the server's back. */
export interface CatalogRowCounts {
  readonly organizations: number;
  readonly catalogCourses: number;
  readonly courseRuns: number;
}

/** Counts the organizations, catalog courses and course runs of the org `orgCode` in the server's database. */
export async function catalogRowCounts(db: pg.Pool, orgCode: string): Promise<CatalogRowCounts> {
  const { rows } = await db.query<{ organizations: string; catalog_courses: string; course_runs: string }>(
    `select (select count(*) from catalog_organization o where lower(o.short_name) = lower($1)) as organizations,
            (select count(*) from catalog_course c join catalog_organization o on o.id = c.org_id where lower(o.short_name) = lower($1)) as catalog_courses,
            (select count(*) from catalog_course_run r join catalog_course c on c.id = r.catalog_course_id join catalog_organization o on o.id = c.org_id
             where lower(o.short_name) = lower($1)) as course_runs`,
    [orgCode],
  );
  const row = rows[0]!;
  return { organizations: Number(row.organizations), catalogCourses: Number(row.catalog_courses), courseRuns: Number(row.course_runs) };
}

/**
 * Every page of a list call, in order: calls `fetch` with each page token
 * (empty first) until a response's `nextPageToken` is empty, and returns each
 * page's items.
 */
export async function everyPage<T>(fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>): Promise<T[][]> {
  const pages: T[][] = [];
  let pageToken = "";
  do {
    const page = await fetch(pageToken);
    pages.push(page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return pages;
}
