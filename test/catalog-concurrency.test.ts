import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CatalogService } from "../gen/learnerstate/v1/catalog_service_pb.js";
import { catalogRowCounts } from "./support/catalog.js";
import { transportTo } from "./support/clients.js";
import { unique, useServer } from "./support/fixture.js";

const fixture = useServer();

// Ten connections, so the calls reach the server as separate HTTP/2 sessions
// as well as multiplexed streams, and run on every pooled database connection.
const clients = () => Array.from({ length: 10 }, () => createClient(CatalogService, transportTo(fixture.server.baseUrl)));

/** Runs `call` `count` times at once, spread over the clients; returns the answers and the codes of the failures. */
async function all<T>(count: number, call: (client: ReturnType<typeof clients>[number], index: number) => Promise<T>): Promise<{ answers: T[]; errors: string[] }> {
  const pool = clients();
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, index) => call(pool[index % pool.length]!, index)));
  return {
    answers: settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])),
    errors: settled.flatMap((result) => (result.status === "rejected" ? [Code[ConnectError.from(result.reason).code]] : [])),
  };
}

describe("concurrent creation", () => {
  it("50 concurrent calls for one new course create one organization, one catalog course and one run, and all succeed", async () => {
    const org = unique("Race");
    const courseKey = `course-v1:${org}+Course+2026`;
    const { answers, errors } = await all(50, (client, index) => client.createCourseRunForModulestoreCourse({ courseKey, title: `Title ${index}` }));
    const rows = await catalogRowCounts(fixture.db, org);
    const created = {
      organizations: answers.filter((answer) => answer.organizationCreated).length,
      catalogCourses: answers.filter((answer) => answer.catalogCourseCreated).length,
      runs: answers.filter((answer) => !answer.alreadyExisted).length,
    };
    console.log(
      `50 concurrent CreateCourseRunForModulestoreCourse of ${courseKey}: rows created: organizations ${rows.organizations}, ` +
        `catalog courses ${rows.catalogCourses}, runs ${rows.courseRuns}; calls reporting a creation: ${JSON.stringify(created)}; errors ${errors.length}`,
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 1 });
    expect(created).toEqual({ organizations: 1, catalogCourses: 1, runs: 1 });
    // Every caller got the same run, with the title of the one call that created it.
    const winner = answers.find((answer) => !answer.alreadyExisted)!;
    expect(new Set(answers.map((answer) => answer.courseRun!.title))).toEqual(new Set([winner.courseRun!.title]));
    expect(new Set(answers.map((answer) => answer.catalogCourse!.id))).toEqual(new Set([winner.catalogCourse!.id]));
  });

  it("50 concurrent calls for 50 runs of one new course, the org spelled in two cases, create one organization and catalog course and 50 runs", async () => {
    const org = unique("Race");
    const { answers, errors } = await all(50, (client, index) =>
      client.createCourseRunForModulestoreCourse({ courseKey: `course-v1:${index % 2 === 0 ? org : org.toUpperCase()}+Course+R${index}`, title: `Run ${index}` }),
    );
    expect(errors).toEqual([]);
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 1, courseRuns: 50 });
    expect(answers.filter((answer) => answer.organizationCreated)).toHaveLength(1);
    expect(answers.filter((answer) => answer.catalogCourseCreated)).toHaveLength(1);
    expect(answers.every((answer) => !answer.alreadyExisted)).toBe(true);
  });

  it("20 concurrent CreateOrganization calls in different cases create one organization", async () => {
    const shortName = unique("Org");
    const { answers, errors } = await all(20, (client, index) => client.createOrganization({ shortName: index % 2 === 0 ? shortName : shortName.toUpperCase() }));
    expect(errors).toEqual([]);
    expect(answers.filter((answer) => !answer.alreadyExisted)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.organization!.id)).size).toBe(1);
    expect((await catalogRowCounts(fixture.db, shortName)).organizations).toBe(1);
  });

  it("a catalog course being deleted while runs are created for it is either deleted first or protected by the new run", async () => {
    const org = unique("Race");
    for (let round = 0; round < 10; round += 1) {
      const course = `C${round}`;
      const [setup] = clients();
      const first = await setup!.createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+First` });
      await setup!.deleteCourseRun({ courseKey: `course-v1:${org}+${course}+First` });
      const selector = { selector: { case: "id" as const, value: first.catalogCourse!.id } };
      const [deletion, creation] = await Promise.allSettled([
        setup!.deleteCatalogCourse({ catalogCourse: selector }),
        setup!.createCourseRunForModulestoreCourse({ courseKey: `course-v1:${org}+${course}+Second` }),
      ]);
      expect(creation.status, `round ${round}`).toBe("fulfilled");
      const run = await setup!.getCourseRun({ courseKey: `course-v1:${org}+${course}+Second` });
      if (deletion.status === "fulfilled") {
        // Deleted first: the run made a new catalog course.
        expect(run.courseRun!.catalogCourseId).not.toBe(first.catalogCourse!.id);
      } else {
        expect(Code[ConnectError.from(deletion.reason).code]).toBe("FailedPrecondition");
        expect(run.courseRun!.catalogCourseId).toBe(first.catalogCourse!.id);
      }
    }
    expect(await catalogRowCounts(fixture.db, org)).toEqual({ organizations: 1, catalogCourses: 10, courseRuns: 10 });
  });
});
