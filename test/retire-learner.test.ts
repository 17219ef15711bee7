import { Code } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { auditRecords } from "./support/audit-records.js";
import { collect } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, testAudience, testIssuer, testSecret } from "./support/tokens.js";

const fixture = useServer({ env: { JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience } });

const courses = [`course-v1:${unique("OrgA")}+Retire+2026`, `course-v1:${unique("OrgB")}+Retire+2026`] as const;
const problems = courses.map((course) => blockKey(course, "problem", "p1"));
const videos = courses.map((course) => blockKey(course, "video", "v1"));
const polls = courses.map((course) => blockKey(course, "poll", "poll1"));
const everyKey = [...problems, ...videos, ...polls];
const learnerScopes = [Scope.USER_STATE, Scope.PREFERENCES, Scope.USER_INFO];

let admin: { headers?: Record<string, string> } = {};

/** Every row of `username` in the four state tables, as text: what must vanish for one learner and stay for another. */
async function rowsOf(username: string): Promise<string[]> {
  const tables = ["user_state", "user_state_history", "scoped_state", "scoped_state_history"];
  const rows = await Promise.all(tables.map((table) => fixture.db.query(`select t::text as row from ${table} t where username = $1 order by id`, [username])));
  return rows.flatMap((result, index) => result.rows.map((row: { row: string }) => `${tables[index]} ${row.row}`));
}

/**
 * Gives `username` state in every scope in both courses, with history: per
 * course a problem and a video in user_state (the video written twice, the
 * problem's field deleted once), preferences of both types, user info, and
 * writes to the blocks' shared summaries.
 */
async function fill(username: string) {
  for (const [index, course] of courses.entries()) {
    await fixture.client.setMany({ username, updates: [problems[index]!, videos[index]!].map((key) => ({ blockKey: key, fields: { course: JSON.stringify(course), n: "1" } })) }, admin);
    await fixture.client.setMany({ username, updates: [{ blockKey: videos[index]!, fields: { n: "2" } }] }, admin);
    await fixture.client.deleteMany({ username, blockKeys: [problems[index]!], fieldSelection: { fieldNames: ["n"] } }, admin);
    await fixture.client.setMany({ username, scope: Scope.PREFERENCES, updates: [{ blockKey: problems[index]!, fields: { [`from${index}`]: "1" } }, { blockKey: videos[index]!, fields: { speed: "1.5" } }] }, admin);
    await fixture.client.setMany({ username, scope: Scope.USER_INFO, updates: [{ blockKey: polls[index]!, fields: { [`seen${index}`]: "true" } }] }, admin);
    await fixture.client.setMany({ username, scope: Scope.USER_STATE_SUMMARY, updates: [{ blockKey: polls[index]!, fields: { [username]: "1" } }] }, admin);
  }
}

async function everythingOf(username: string) {
  const states = [];
  const times = [];
  const histories = [];
  for (const scope of learnerScopes) {
    states.push(...(await collect(fixture.client.getMany({ username, scope, blockKeys: everyKey }, admin))).flatMap((message) => message.blockStates));
    times.push(...(await collect(fixture.client.getModDates({ username, scope, blockKeys: everyKey }, admin))).flatMap((message) => message.fieldModifications));
    for (const key of everyKey) {
      const history = await collect(fixture.client.getHistory({ username, scope, blockKey: key }, admin)).catch((error: unknown) => error);
      histories.push(Array.isArray(history) ? history.flatMap((message) => message.entries) : history);
    }
  }
  const streamed = [];
  for (const [index, course] of courses.entries()) {
    for (const key of [problems[index]!, videos[index]!]) {
      streamed.push(...(await collect(fixture.client.iterAllForBlock({ blockKey: key }, admin))).flatMap((message) => message.blockStates));
      streamed.push(...(await collect(fixture.client.iterAllForBlock({ blockKey: key, scope: Scope.PREFERENCES }, admin))).flatMap((message) => message.blockStates));
    }
    streamed.push(...(await collect(fixture.client.iterAllForCourse({ courseKey: course }, admin))).flatMap((message) => message.blockStates));
  }
  return { states, times, histories, streamed: streamed.filter((state) => state.username === username) };
}

beforeAll(async () => {
  admin = bearer(await mintToken({ sub: "1", preferred_username: unique("lms"), administrator: true }));
});

describe("RetireLearner", () => {
  it("erases a learner in every scope and course with their history, leaves others and shared summaries alone, and reports 0 when repeated", async () => {
    const [gone, kept] = [unique("gone"), unique("kept")];
    await fill(gone);
    await fill(kept);
    const keptBefore = await rowsOf(kept);
    const goneBefore = await everythingOf(gone);
    // user_state of 2 problems and 2 videos, preferences read through those 4 keys, user info through all 6 keys.
    expect(goneBefore.states).toHaveLength(4 + 4 + 6);
    expect(goneBefore.streamed.length).toBeGreaterThan(0);
    const summariesBefore = await collect(fixture.client.getMany({ username: kept, scope: Scope.USER_STATE_SUMMARY, blockKeys: polls }, admin));

    const erased = await fixture.client.retireLearner({ username: gone }, admin);
    // user_state: 2 blocks per course, each with its history: 1 + 1 (problem set, field deleted), 1 + 1 (video set twice).
    // preferences: problem and video, written once per course; user_info: one state written once per course.
    expect(erased).toMatchObject({ userStatesErased: 4n, preferencesErased: 2n, userInfosErased: 1n, historyEntriesErased: 8n + 4n + 2n });

    const goneAfter = await everythingOf(gone);
    expect(goneAfter.states).toEqual([]);
    expect(goneAfter.times).toEqual([]);
    expect(goneAfter.streamed).toEqual([]);
    for (const history of goneAfter.histories) expect(history).toMatchObject({ code: Code.NotFound });
    expect(await rowsOf(gone)).toEqual([]);

    expect(await rowsOf(kept)).toEqual(keptBefore);
    expect((await everythingOf(kept)).states).toHaveLength(goneBefore.states.length);
    // A summary belongs to no learner: what the erased learner wrote into it stays.
    expect(await collect(fixture.client.getMany({ username: kept, scope: Scope.USER_STATE_SUMMARY, blockKeys: polls }, admin))).toEqual(summariesBefore);

    expect(await fixture.client.retireLearner({ username: gone }, admin)).toMatchObject({
      userStatesErased: 0n,
      preferencesErased: 0n,
      userInfosErased: 0n,
      historyEntriesErased: 0n,
    });
  });

  it("is audited for every caller, administrators included, and refused to tokens without the erase scope", async () => {
    const [target, self] = [unique("target"), unique("self")];
    await fixture.client.retireLearner({ username: target }, admin);
    const ownEraser = bearer(await mintToken({ sub: "2", preferred_username: self, scopes: ["learner_state:erase"], filters: ["user:me"] }));
    await fixture.client.retireLearner({ username: self }, ownEraser);
    await expectCode(fixture.client.retireLearner({ username: target }, ownEraser), Code.PermissionDenied);
    const writer = bearer(await mintToken({ sub: "3", preferred_username: self, scopes: ["learner_state:write"], filters: ["user:me"] }));
    await expectCode(fixture.client.retireLearner({ username: self }, writer), Code.PermissionDenied);

    await new Promise((resolve) => setTimeout(resolve, 100));
    const audits = auditRecords(fixture.server).filter((record) => record["operation"] === "RetireLearner");
    expect(audits.find((record) => record["learner"] === target && record["audit"] === "learner-erasure")).toMatchObject({ administrator: true });
    expect(audits.find((record) => record["learner"] === self && record["audit"] === "learner-erasure")).toMatchObject({
      administrator: false,
      username: self,
      decidedByScope: "learner_state:erase",
      decidedByFilters: ["user:me"],
    });
    expect(audits.filter((record) => record["audit"] === "denied").map((record) => record["learner"])).toEqual([target, self]);
  });
});
