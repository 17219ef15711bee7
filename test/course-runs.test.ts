import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CatalogCourseSelectorSchema } from "../gen/learnerstate/v1/catalog_pb.js";
import { catalogRowCounts, everyPage } from "./support/catalog.js";
import { catalogClient } from "./support/clients.js";
import { errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const catalog = () => catalogClient(fixture.server.baseUrl);
const byKey = (key: string) => create(CatalogCourseSelectorSchema, { selector: { case: "key", value: key } });

/** A course key of a new org and course, and its parts. */
function newKey(run = "2026"): { org: string; course: string; key: string } {
  const org = unique("Org");
  const course = unique("Course");
  return { org, course, key: `course-v1:${org}+${course}+${run}` };
}

/** The server's log records whose message is `message`. */
function logged(message: string): Array<Record<string, unknown>> {
  return fixture.server.output
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record["msg"] === message);
}

describe("CreateCourseRunForModulestoreCourse", () => {
  it("creates the run with its catalog course and organization, taking the title and language given", async () => {
    const { org, course, key } = newKey();
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Physics 2026", languageShort: "zh_HANT" });
    expect(created).toMatchObject({ alreadyExisted: false, catalogCourseCreated: true, organizationCreated: true });
    expect(created.courseRun).toMatchObject({ courseKey: key, orgCode: org, courseCode: course, runCode: "2026", title: "Physics 2026", catalogCourseKey: `catalog-course:${org}:${course}` });
    expect(created.catalogCourse).toMatchObject({ courseCode: course, title: "Physics 2026", language: "zh-hk", languageShort: "zh_HANT" });
    expect(created.catalogCourse!.org).toMatchObject({ shortName: org, name: org });
    expect(created.courseRun!.catalogCourseId).toBe(created.catalogCourse!.id);
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 1 });

    const second = await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+2027`, title: "Physics 2027", languageShort: "fr" });
    expect(second).toMatchObject({ alreadyExisted: false, catalogCourseCreated: false, organizationCreated: false });
    // The catalog course exists: its title and language stay.
    expect(second.catalogCourse).toMatchObject({ title: "Physics 2026", language: "zh-hk" });
  });

  it("defaults an empty title to the course code (catalog course) and the catalog course's title (run), and the language to en", async () => {
    const { org, course, key } = newKey();
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: key });
    expect(created.catalogCourse).toMatchObject({ title: course, language: "en", languageShort: "en" });
    expect(created.courseRun!.title).toBe(course);
    const titled = await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+2027` });
    expect(titled.courseRun!.title).toBe(course);
  });

  it("returns an existing run unchanged with already_existed, and logs a warning as the Django API does", async () => {
    const { key } = newKey();
    const first = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "First" });
    const again = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Second", languageShort: "es" });
    expect(again).toMatchObject({ alreadyExisted: true, catalogCourseCreated: false, organizationCreated: false });
    expect(again.courseRun).toEqual(first.courseRun);
    expect(again.catalogCourse).toEqual(first.catalogCourse);
    await expect.poll(() => logged(`Expected to create CourseRun for "${key}" but it already existed.`)).toHaveLength(1);
    expect(logged(`Expected to create CourseRun for "${key}" but it already existed.`)[0]).toMatchObject({ level: 40, courseKey: key });
  });

  it("matches the organization regardless of case and logs the mismatch as a warning", async () => {
    const { org, course, key } = newKey();
    const first = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Original" });
    const upper = `course-v1:${org.toUpperCase()}+${course}+2027`;
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: upper, title: "Upper" });
    expect(created).toMatchObject({ alreadyExisted: false, catalogCourseCreated: false, organizationCreated: false });
    expect(created.catalogCourse!.id).toBe(first.catalogCourse!.id);
    expect(created.courseRun).toMatchObject({ courseKey: upper, orgCode: org.toUpperCase(), catalogCourseKey: `catalog-course:${org}:${course}` });
    const message = `The course with ID "${upper}" does not match its Organization.short_name "${org}"`;
    await expect.poll(() => logged(message)).toHaveLength(1);
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 2 });
  });

  it("accepts deprecated and CCX keys; a CCX run shares its course's run code", async () => {
    const { org, course, key } = newKey();
    await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Modern" });
    const ccx = await catalog().createCourseRunForModulestoreCourse({ courseKey: `ccx-v1:${org}+${course}+2026+ccx@3`, title: "CCX" });
    expect(ccx.courseRun).toMatchObject({ courseKey: `ccx-v1:${org}+${course}+2026+ccx@3`, runCode: "2026", courseCode: course });
    const oldOrg = unique("Old");
    const deprecated = await catalog().createCourseRunForModulestoreCourse({ courseKey: `${oldOrg}/Course/2014`, title: "Old" });
    expect(deprecated.courseRun).toMatchObject({ courseKey: `${oldOrg}/Course/2014`, orgCode: oldOrg, courseCode: "Course", runCode: "2014" });
    expect((await catalog().getCourseRun({ courseKey: `${oldOrg}/Course/2014` })).courseRun).toEqual(deprecated.courseRun);
  });

  it("is FAILED_PRECONDITION, creating nothing, when the run exists under another spelling or the course code differs in case", async () => {
    const { org, course, key } = newKey();
    await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Original" });
    const conflicts: Array<[string, string]> = [
      [`${org}/${course}/2026`, "COURSE_RUN_KEY_CONFLICT"],
      [`course-v1:${org.toLowerCase()}+${course}+2026`, "COURSE_RUN_KEY_CONFLICT"],
      [`course-v1:${org}+${course.toUpperCase()}+2027`, "CATALOG_COURSE_CODE_CONFLICT"],
    ];
    for (const [courseKey, reason] of conflicts) {
      const error = await expectCode(catalog().createCourseRunForModulestoreCourse({ courseKey, title: "Conflict" }), Code.FailedPrecondition);
      expect(errorInfoOf(error).reason, courseKey).toBe(reason);
    }
    const runConflict = await expectCode(catalog().createCourseRunForModulestoreCourse({ courseKey: `${org}/${course}/2026` }), Code.FailedPrecondition);
    expect(errorInfoOf(runConflict).metadata).toMatchObject({ existingCourseKey: key });
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 1 });
  });

  it("is INVALID_ARGUMENT naming the field for a key that is not a course run, a long title or an unknown language, creating nothing", async () => {
    const { org, key } = newKey();
    const cases: Array<[{ courseKey: string; title?: string; languageShort?: string }, string, string]> = [
      [{ courseKey: "not a key" }, "INVALID_COURSE_KEY", "course_key"],
      [{ courseKey: `library-v1:${org}+Lib` }, "NOT_A_COURSE_RUN_KEY", "course_key"],
      [{ courseKey: `lib:${org}:lib1` }, "NOT_A_COURSE_RUN_KEY", "course_key"],
      [{ courseKey: `${key}+branch@draft` }, "NOT_A_COURSE_RUN_KEY", "course_key"],
      [{ courseKey: key, title: "t".repeat(256) }, "INVALID_TITLE", "title"],
      [{ courseKey: key, title: "nul\u0000" }, "INVALID_TITLE", "title"],
      [{ courseKey: key, languageShort: "english" }, "INVALID_LANGUAGE_CODE", "language_short"],
    ];
    for (const [request, reason, field] of cases) {
      const error = await expectCode(catalog().createCourseRunForModulestoreCourse(request), Code.InvalidArgument);
      expect(errorInfoOf(error), JSON.stringify(request)).toMatchObject({ reason, metadata: { field } });
    }
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 0, catalogCourses: 0, courseRuns: 0 });
  });
});

describe("GetCourseRun", () => {
  it("returns the run by its exact key and is NOT_FOUND for a missing key or another case", async () => {
    const { org, course, key } = newKey();
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Run" });
    expect((await catalog().getCourseRun({ courseKey: key })).courseRun).toEqual(created.courseRun);
    for (const courseKey of [`course-v1:${org}+${course}+2099`, key.toUpperCase().replace("COURSE-V1:", "course-v1:")]) {
      const error = await expectCode(catalog().getCourseRun({ courseKey }), Code.NotFound);
      expect(errorInfoOf(error).reason).toBe("COURSE_RUN_NOT_FOUND");
    }
    const invalid = await expectCode(catalog().getCourseRun({ courseKey: "" }), Code.InvalidArgument);
    expect(errorInfoOf(invalid)).toMatchObject({ reason: "INVALID_COURSE_KEY", metadata: { field: "course_key" } });
  });
});

describe("SyncCourseRunDetails", () => {
  it("sets the run's title, leaves it for an empty one, and is NOT_FOUND or INVALID_ARGUMENT as the contract says", async () => {
    const { key } = newKey();
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Draft title" });
    const synced = (await catalog().syncCourseRunDetails({ courseKey: key, title: "Published title" })).courseRun!;
    expect(synced).toMatchObject({ title: "Published title", createTime: created.courseRun!.createTime });
    expect(synced.updateTime).not.toEqual(created.courseRun!.updateTime);
    expect((await catalog().syncCourseRunDetails({ courseKey: key, title: "" })).courseRun).toEqual(synced);
    // The catalog course keeps its own title.
    expect((await catalog().getCourseRun({ courseKey: key })).courseRun!.title).toBe("Published title");
    expect((await catalog().getCatalogCourse({ catalogCourse: byKey(created.courseRun!.catalogCourseKey) })).catalogCourse!.title).toBe("Draft title");

    const missing = await expectCode(catalog().syncCourseRunDetails({ courseKey: newKey().key, title: "x" }), Code.NotFound);
    expect(errorInfoOf(missing).reason).toBe("COURSE_RUN_NOT_FOUND");
    const tooLong = await expectCode(catalog().syncCourseRunDetails({ courseKey: key, title: "x".repeat(300) }), Code.InvalidArgument);
    expect(errorInfoOf(tooLong)).toMatchObject({ reason: "INVALID_TITLE", metadata: { field: "title" } });
    expect((await catalog().getCourseRun({ courseKey: key })).courseRun).toEqual(synced);
  });
});

describe("DeleteCourseRun", () => {
  it("deletes the run but not its catalog course, and is NOT_FOUND when repeated", async () => {
    const { org, course, key } = newKey();
    await catalog().createCourseRunForModulestoreCourse({ courseKey: key, title: "Run" });
    await catalog().deleteCourseRun({ courseKey: key });
    await expectCode(catalog().getCourseRun({ courseKey: key }), Code.NotFound);
    const catalogCourse = await catalog().getCatalogCourse({ catalogCourse: byKey(`catalog-course:${org}:${course}`) });
    expect(catalogCourse.runs).toEqual([]);
    const again = await expectCode(catalog().deleteCourseRun({ courseKey: key }), Code.NotFound);
    expect(errorInfoOf(again).reason).toBe("COURSE_RUN_NOT_FOUND");
    const invalid = await expectCode(catalog().deleteCourseRun({ courseKey: `library-v1:${org}+L` }), Code.InvalidArgument);
    expect(errorInfoOf(invalid).reason).toBe("NOT_A_COURSE_RUN_KEY");
  });
});

describe("ListCourseRuns", () => {
  it("continues GetCatalogCourse's first 100 runs with its token, for the same course however it is named, and refuses it for another", async () => {
    const { org, course } = newKey();
    const runs = Array.from({ length: 105 }, (_, index) => `R${String(index).padStart(3, "0")}`);
    for (const run of runs) await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+${run}`, title: run });
    const first = await catalog().getCatalogCourse({ catalogCourse: byKey(`catalog-course:${org}:${course}`) });
    expect(first.runs.map((run) => run.runCode)).toEqual(runs.slice(0, 100));
    expect(first.runsNextPageToken).not.toBe("");
    const byId = create(CatalogCourseSelectorSchema, { selector: { case: "id", value: first.catalogCourse!.id } });
    const rest = await catalog().listCourseRuns({ catalogCourse: byId, pageToken: first.runsNextPageToken });
    expect(rest.courseRuns.map((run) => run.runCode)).toEqual(runs.slice(100));
    expect(rest.nextPageToken).toBe("");

    const pages = await everyPage(async (pageToken) => {
      const page = await catalog().listCourseRuns({ catalogCourse: byKey(`catalog-course:${org.toLowerCase()}:${course}`), pageSize: 40, pageToken });
      return { items: page.courseRuns.map((run) => run.runCode), nextPageToken: page.nextPageToken };
    });
    expect(pages.map((page) => page.length)).toEqual([40, 40, 25]);
    expect(pages.flat()).toEqual(runs);

    const other = await catalog().createCourseRunForModulestoreCourse({ courseKey: newKey().key });
    const wrong = await expectCode(
      catalog().listCourseRuns({ catalogCourse: byKey(other.courseRun!.catalogCourseKey), pageToken: first.runsNextPageToken }),
      Code.InvalidArgument,
    );
    expect(errorInfoOf(wrong)).toMatchObject({ reason: "INVALID_RESUME_TOKEN", metadata: { field: "page_token" } });
    const missing = await expectCode(catalog().listCourseRuns({ catalogCourse: byKey(`catalog-course:${unique("No")}:X`) }), Code.NotFound);
    expect(errorInfoOf(missing).reason).toBe("CATALOG_COURSE_NOT_FOUND");
  });

  it("lists every run when no catalog course is given, in creation order", async () => {
    const keys = [newKey().key, newKey().key];
    for (const courseKey of keys) await catalog().createCourseRunForModulestoreCourse({ courseKey });
    const pages = await everyPage(async (pageToken) => {
      const page = await catalog().listCourseRuns({ pageSize: 1000, pageToken });
      return { items: page.courseRuns.map((run) => run.courseKey), nextPageToken: page.nextPageToken };
    });
    const seen = pages.flat();
    expect(seen.indexOf(keys[1]!)).toBeGreaterThan(seen.indexOf(keys[0]!));
    expect(seen.indexOf(keys[0]!)).toBeGreaterThanOrEqual(0);
    const negative = await expectCode(catalog().listCourseRuns({ pageSize: -5 }), Code.InvalidArgument);
    expect(errorInfoOf(negative).reason).toBe("INVALID_PAGE_SIZE");
  });
});
