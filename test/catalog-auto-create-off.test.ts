import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { catalogRowCounts } from "./support/catalog.js";
import { catalogClient } from "./support/clients.js";
import { errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer({ env: { CATALOG_AUTO_CREATE_ORGS: "false" } });
const catalog = () => catalogClient(fixture.server.baseUrl);

describe("CATALOG_AUTO_CREATE_ORGS=false", () => {
  it("refuses a run of an unknown organization with FAILED_PRECONDITION and upstream's explanation, creating nothing", async () => {
    const org = unique("Org");
    const courseKey = `course-v1:${org}+Course+2026`;
    const error = await expectCode(catalog().createCourseRunForModulestoreCourse({ courseKey, title: "Refused" }), Code.FailedPrecondition);
    expect(errorInfoOf(error)).toMatchObject({ reason: "ORGANIZATION_AUTO_CREATE_DISABLED", metadata: { orgCode: org, courseKey } });
    expect(error.rawMessage).toContain(`The organization short code "${org}" exists in modulestore (${courseKey})`);
    expect(error.rawMessage).toContain("auto-creating organizations is disabled");
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 0, catalogCourses: 0, courseRuns: 0 });
  });

  it("creates the run of an organization created beforehand, matched regardless of case", async () => {
    const org = unique("Org");
    await catalog().createOrganization({ shortName: org, name: "Known" });
    const created = await catalog().createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org.toLowerCase()}+Course+2026`, title: "Allowed" });
    expect(created).toMatchObject({ organizationCreated: false, catalogCourseCreated: true, alreadyExisted: false });
    expect(created.catalogCourse!.org).toMatchObject({ shortName: org, name: "Known" });
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 1 });
  });
});
