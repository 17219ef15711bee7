import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CatalogCourseSelectorSchema, OrgCourseCodeSchema, type CatalogCourseSelector } from "../gen/learnerstate/v1/catalog_pb.js";
import { catalogRowCounts, everyPage } from "./support/catalog.js";
import { catalogClient } from "./support/clients.js";
import { errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const catalog = () => catalogClient(fixture.server.baseUrl);

const byId = (id: bigint) => create(CatalogCourseSelectorSchema, { selector: { case: "id", value: id } });
const byKey = (key: string) => create(CatalogCourseSelectorSchema, { selector: { case: "key", value: key } });
const byCodes = (orgCode: string, courseCode: string) =>
  create(CatalogCourseSelectorSchema, { selector: { case: "orgCourse", value: create(OrgCourseCodeSchema, { orgCode, courseCode }) } });

/** Creates the runs `runs` of a new course of a new org; returns the org and course codes. */
async function newCourse(runs: readonly string[] = ["2026"], title = "Calculus"): Promise<{ org: string; course: string; id: bigint }> {
  const org = unique("Org");
  const course = unique("Course");
  let id = 0n;
  for (const run of runs) {
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+${run}`, title: `${title} ${run}` });
    id = created.catalogCourse!.id;
  }
  return { org, course, id };
}

describe("GetCatalogCourse", () => {
  it("returns the catalog course by id, by key and by org and course code (the org regardless of case), with its runs in creation order", async () => {
    const { org, course, id } = await newCourse(["2026", "2027"]);
    const answers = await Promise.all([byId(id), byKey(`catalog-course:${org}:${course}`), byCodes(org.toUpperCase(), course)].map((catalogCourse) => catalog().getCatalogCourse({ catalogCourse })));
    for (const answer of answers) {
      expect(answer.catalogCourse).toMatchObject({ id, key: `catalog-course:${org}:${course}`, courseCode: course, title: "Calculus 2026", language: "en", languageShort: "en" });
      expect(answer.catalogCourse!.org).toMatchObject({ shortName: org, name: org });
      expect(answer.runs.map((run) => [run.courseKey, run.runCode, run.title])).toEqual([
        [`course-v1:${org}+${course}+2026`, "2026", "Calculus 2026"],
        [`course-v1:${org}+${course}+2027`, "2027", "Calculus 2027"],
      ]);
      expect(answer.runsNextPageToken).toBe("");
    }
  });

  it("is NOT_FOUND for a catalog course that does not exist, and matches the course code exactly", async () => {
    const { org, course } = await newCourse();
    for (const catalogCourse of [byId(999_999_999n), byKey(`catalog-course:${org}:${unique("nope")}`), byCodes(unique("NoOrg"), course), byCodes(org, course.toLowerCase())]) {
      const error = await expectCode(catalog().getCatalogCourse({ catalogCourse }), Code.NotFound);
      expect(errorInfoOf(error).reason).toBe("CATALOG_COURSE_NOT_FOUND");
    }
  });

  it("is INVALID_ARGUMENT naming the field when no catalog course, a non-positive id, a malformed key or an empty code is given", async () => {
    const cases: Array<[CatalogCourseSelector | undefined, string]> = [
      [undefined, "catalog_course"],
      [create(CatalogCourseSelectorSchema), "catalog_course"],
      [byId(0n), "catalog_course.id"],
      [byId(-3n), "catalog_course.id"],
      [byKey("course-v1:edX+DemoX+2026"), "catalog_course.key"],
      [byKey("catalog-course:edX"), "catalog_course.key"],
      [byCodes("", "DemoX"), "catalog_course.org_course.org_code"],
      [byCodes("edX", ""), "catalog_course.org_course.course_code"],
    ];
    for (const [catalogCourse, field] of cases) {
      const error = await expectCode(catalog().getCatalogCourse({ catalogCourse }), Code.InvalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_CATALOG_COURSE", metadata: { field } });
    }
  });
});

describe("UpdateCatalogCourse", () => {
  it("changes the title and the language, leaves empty fields unchanged, and moves only the modification time", async () => {
    const { org, course, id } = await newCourse();
    const before = (await catalog().getCatalogCourse({ catalogCourse: byId(id) })).catalogCourse!;
    const titled = (await catalog().updateCatalogCourse({ catalogCourse: byKey(`catalog-course:${org}:${course}`), title: "Calculus I" })).catalogCourse!;
    expect(titled).toMatchObject({ title: "Calculus I", language: "en", languageShort: "en" });
    const chinese = (await catalog().updateCatalogCourse({ catalogCourse: byCodes(org, course), languageShort: "zh_HANS" })).catalogCourse!;
    expect(chinese).toMatchObject({ title: "Calculus I", language: "zh-cn", languageShort: "zh_HANS" });
    const unchanged = (await catalog().updateCatalogCourse({ catalogCourse: byId(id) })).catalogCourse!;
    expect(unchanged).toEqual(chinese);
    expect(chinese.createTime).toEqual(before.createTime);
    expect(chinese.updateTime!.seconds * 1_000_000_000n + BigInt(chinese.updateTime!.nanos)).toBeGreaterThan(
      before.updateTime!.seconds * 1_000_000_000n + BigInt(before.updateTime!.nanos),
    );
    expect((await catalog().getCatalogCourse({ catalogCourse: byId(id) })).catalogCourse).toEqual(chinese);
  });

  it("refuses a language ALL_LANGUAGES does not list and a title over 255 characters, changing nothing", async () => {
    const { id } = await newCourse();
    const before = (await catalog().getCatalogCourse({ catalogCourse: byId(id) })).catalogCourse;
    for (const [change, reason, field] of [
      [{ title: "Fine", languageShort: "en-us" }, "INVALID_LANGUAGE_CODE", "language_short"],
      [{ title: "x".repeat(256), languageShort: "es" }, "INVALID_TITLE", "title"],
    ] as const) {
      const error = await expectCode(catalog().updateCatalogCourse({ catalogCourse: byId(id), ...change }), Code.InvalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason, metadata: { field } });
    }
    expect((await catalog().getCatalogCourse({ catalogCourse: byId(id) })).catalogCourse).toEqual(before);
    expect((await catalog().updateCatalogCourse({ catalogCourse: byId(id), title: "é".repeat(255) })).catalogCourse!.title).toBe("é".repeat(255));
  });

  it("is NOT_FOUND for a catalog course that does not exist", async () => {
    const error = await expectCode(catalog().updateCatalogCourse({ catalogCourse: byCodes(unique("NoOrg"), "X"), title: "t" }), Code.NotFound);
    expect(errorInfoOf(error).reason).toBe("CATALOG_COURSE_NOT_FOUND");
  });
});

describe("DeleteCatalogCourse", () => {
  it("is FAILED_PRECONDITION naming the runs while any exists, then deletes the catalog course but not its organization", async () => {
    const { org, course, id } = await newCourse(["2026", "2027"]);
    const protectedError = await expectCode(catalog().deleteCatalogCourse({ catalogCourse: byId(id) }), Code.FailedPrecondition);
    const info = errorInfoOf(protectedError);
    expect(info).toMatchObject({ reason: "CATALOG_COURSE_HAS_RUNS", metadata: { runCount: "2" } });
    expect(protectedError.rawMessage).toContain(`course-v1:${org}+${course}+2026`);
    expect(protectedError.rawMessage).toContain(`course-v1:${org}+${course}+2027`);
    expect((await catalog().getCatalogCourse({ catalogCourse: byId(id) })).runs).toHaveLength(2);

    for (const run of ["2026", "2027"]) await catalog().deleteCourseRun({ courseKey: `course-v1:${org}+${course}+${run}` });
    await catalog().deleteCatalogCourse({ catalogCourse: byKey(`catalog-course:${org}:${course}`) });
    await expectCode(catalog().getCatalogCourse({ catalogCourse: byId(id) }), Code.NotFound);
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 0, courseRuns: 0 });
    const again = await expectCode(catalog().deleteCatalogCourse({ catalogCourse: byId(id) }), Code.NotFound);
    expect(errorInfoOf(again).reason).toBe("CATALOG_COURSE_NOT_FOUND");
    expect((await catalog().listCatalogCourses({ orgCode: org })).catalogCourses).toEqual([]);
  });

  it("is INVALID_ARGUMENT for a malformed selector", async () => {
    const error = await expectCode(catalog().deleteCatalogCourse({ catalogCourse: byKey("catalog-course:") }), Code.InvalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_CATALOG_COURSE", metadata: { field: "catalog_course.key" } });
  });
});

describe("ListCatalogCourses", () => {
  it("pages through one organization's catalog courses in creation order, resumably, until an empty token", async () => {
    const org = unique("Org");
    const courses = Array.from({ length: 5 }, (_, index) => `C${index}_${unique("c")}`);
    for (const course of courses) await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+2026`, title: course });
    const pages = await everyPage(async (pageToken) => {
      const page = await catalog().listCatalogCourses({ orgCode: org.toLowerCase(), pageSize: 2, pageToken });
      return { items: page.catalogCourses.map((course) => course.courseCode), nextPageToken: page.nextPageToken };
    });
    expect(pages.flat()).toEqual(courses);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
  });

  it("lists every organization's catalog courses when no org is given", async () => {
    const first = await newCourse();
    const second = await newCourse();
    const pages = await everyPage(async (pageToken) => {
      const page = await catalog().listCatalogCourses({ pageSize: 1000, pageToken });
      return { items: page.catalogCourses.map((course) => course.id), nextPageToken: page.nextPageToken };
    });
    const seen = pages.flat();
    expect(seen.indexOf(first.id)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(second.id)).toBeGreaterThan(seen.indexOf(first.id));
    expect([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(seen);
  });

  it("refuses a negative page size, a token of another listing or an altered one, and is NOT_FOUND for an unknown org", async () => {
    const { org } = await newCourse(["2026"]);
    await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+Second+2026` });
    const { nextPageToken } = await catalog().listCatalogCourses({ orgCode: org, pageSize: 1 });
    expect(nextPageToken).not.toBe("");
    const negative = await expectCode(catalog().listCatalogCourses({ pageSize: -1 }), Code.InvalidArgument);
    expect(errorInfoOf(negative)).toMatchObject({ reason: "INVALID_PAGE_SIZE", metadata: { field: "page_size" } });
    for (const pageToken of [nextPageToken, `${nextPageToken}x`, "garbage"]) {
      const error = await expectCode(catalog().listCatalogCourses({ pageToken }), Code.InvalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_RESUME_TOKEN", metadata: { field: "page_token" } });
    }
    const missing = await expectCode(catalog().listCatalogCourses({ orgCode: unique("NoOrg") }), Code.NotFound);
    expect(errorInfoOf(missing)).toMatchObject({ reason: "ORGANIZATION_NOT_FOUND", metadata: { field: "org_code" } });
  });
});

describe("CreateOrganization", () => {
  it("creates an organization once and returns it unchanged, flagged, when its short name exists in any case", async () => {
    const shortName = unique("Org");
    const created = await catalog().createOrganization({ shortName, name: "The Organization" });
    expect(created).toMatchObject({ alreadyExisted: false, organization: { shortName, name: "The Organization" } });
    const again = await catalog().createOrganization({ shortName: shortName.toUpperCase(), name: "Another name" });
    expect(again.alreadyExisted).toBe(true);
    expect(again.organization).toEqual(created.organization);
    expect((await catalog().createOrganization({ shortName: unique("Org") })).organization!.name).toMatch(/^Org_/u);
  });

  it("refuses short names with characters edx-organizations does not allow, and names over 255 characters, creating nothing", async () => {
    const shortName = unique("Org");
    for (const [request, field] of [
      [{ shortName: `${shortName} x` }, "short_name"],
      [{ shortName: "" }, "short_name"],
      [{ shortName: `${shortName}+x` }, "short_name"],
      [{ shortName, name: "n".repeat(256) }, "name"],
    ] as const) {
      const error = await expectCode(catalog().createOrganization(request), Code.InvalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_ORGANIZATION", metadata: { field } });
    }
    expect((await catalogRowCounts(fixture.db, shortName)).organizations).toBe(0);
  });
});
