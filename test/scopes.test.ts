import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

const newCourse = () => `course-v1:${unique("Org")}+Scopes+2026`;
const selection = (fieldNames: string[]) => create(FieldSelectionSchema, { fieldNames });
/** An aside of type `asideType` on the block `usageKey`. */
const asideOf = (usageKey: string, asideType: string) => `aside-usage-v2:${usageKey.replaceAll("$", "$$").replaceAll(":", "$:")}::${asideType}`;

/** What GetMany answers, one `key → fields` pair per state, in stream order, with the username. */
async function read(scope: Scope, username: string, blockKeys: string[], fieldNames?: string[]) {
  const messages = await collect(
    fixture.client.getMany({ username, blockKeys, scope, fieldSelection: fieldNames === undefined ? undefined : selection(fieldNames) }),
  );
  return messages.flatMap((message) => message.blockStates.map((state) => ({ username: state.username, blockKey: state.blockKey, fields: { ...state.fields } })));
}

/** GetModDates as `key field` strings, in stream order, and the times by the same strings. */
async function modDates(scope: Scope, username: string, blockKeys: string[], fieldNames?: string[]) {
  const messages = await collect(
    fixture.client.getModDates({ username, blockKeys, scope, fieldSelection: fieldNames === undefined ? undefined : selection(fieldNames) }),
  );
  const times = new Map(
    messages.flatMap((message) => message.fieldModifications.map((time) => [`${time.blockKey} ${time.fieldName}`, time.updateTime!.seconds * 1_000_000n + BigInt(time.updateTime!.nanos / 1000)] as const)),
  );
  return { names: [...times.keys()], times };
}

/** The states of GetHistory, newest first: the fields, or null for a deletion; and the usernames of the entries. */
async function history(scope: Scope, username: string, key: string) {
  const entries = (await collect(fixture.client.getHistory({ username, blockKey: key, scope }))).flatMap((message) => message.entries);
  return { states: entries.map((entry) => (entry.state === undefined ? null : { ...entry.state.fields })), usernames: [...new Set(entries.map((entry) => entry.username))] };
}

const iterateBlock = async (scope: Scope, key: string) =>
  (await collect(fixture.client.iterAllForBlock({ blockKey: key, scope }))).flatMap((message) =>
    message.blockStates.map((state) => ({ username: state.username, blockKey: state.blockKey, fields: { ...state.fields } })),
  );

const iterateCourse = async (scope: Scope, courseKey: string, blockType = "") =>
  (await collect(fixture.client.iterAllForCourse({ courseKey, blockType, scope }))).flatMap((message) =>
    message.blockStates.map((state) => ({ username: state.username, blockKey: state.blockKey, fields: { ...state.fields } })),
  );

describe("SCOPE_PREFERENCES: one state per learner and block type", () => {
  it("is shared by every usage key of a type, across courses, and by no key of another type, learner or scope", async () => {
    const [learner, other] = [unique("learner"), unique("other")];
    const [courseA, courseB] = [newCourse(), newCourse()];
    const problemA = blockKey(courseA, "problem", "p1");
    const problemB = blockKey(courseB, "problem", "p9");
    const video = blockKey(courseA, "video", "v1");
    await fixture.client.setMany({ username: learner, scope: Scope.PREFERENCES, updates: [{ blockKey: problemA, fields: { hints: "true" } }] });
    await fixture.client.setMany({ username: learner, scope: Scope.PREFERENCES, updates: [{ blockKey: problemB, fields: { font: '"large"' } }] });

    expect(await read(Scope.PREFERENCES, learner, [problemB, video, problemA])).toEqual([
      { username: learner, blockKey: problemB, fields: { hints: "true", font: '"large"' } },
      { username: learner, blockKey: problemA, fields: { hints: "true", font: '"large"' } },
    ]);
    expect(await read(Scope.PREFERENCES, other, [problemA])).toEqual([]);
    expect(await read(Scope.USER_STATE, learner, [problemA, problemB])).toEqual([]);
    expect(await read(Scope.USER_INFO, learner, [problemA])).toEqual([]);
  });

  it("keys an aside's preferences by the aside's type, not the type of the block it decorates", async () => {
    const learner = unique("learner");
    const course = newCourse();
    const video = blockKey(course, "video", "v1");
    const onVideo = asideOf(video, "tagging_aside");
    const onProblem = asideOf(blockKey(course, "problem", "p1"), "tagging_aside");
    await fixture.client.setMany({ username: learner, scope: Scope.PREFERENCES, updates: [{ blockKey: onVideo, fields: { tags: '["a"]' } }] });
    expect(await read(Scope.PREFERENCES, learner, [onProblem, video])).toEqual([{ username: learner, blockKey: onProblem, fields: { tags: '["a"]' } }]);
  });

  it("applies the updates of keys that reach one state in request order, atomically, as one write", async () => {
    const learner = unique("learner");
    const course = newCourse();
    const [p1, p2, p3] = ["p1", "p2", "p3"].map((id) => blockKey(course, "problem", id)) as [string, string, string];
    const response = await fixture.client.setMany({
      username: learner,
      scope: Scope.PREFERENCES,
      updates: [
        { blockKey: p1, fields: { a: "1", b: "1" } },
        { blockKey: p2, fields: { b: "2", c: "2" } },
        { blockKey: p3, fields: { c: "3" } },
      ],
    });
    expect(response.results.map((result) => result.blockKey)).toEqual([p1, p2, p3]);
    expect(new Set(response.results.map((result) => `${result.updateTime!.seconds}.${result.updateTime!.nanos}`)).size).toBe(1);
    expect((await read(Scope.PREFERENCES, learner, [p1]))[0]!.fields).toEqual({ a: "1", b: "2", c: "3" });
    expect((await history(Scope.PREFERENCES, learner, p3)).states).toEqual([{ a: "1", b: "2", c: "3" }]);

    // A bad update anywhere in the call leaves the shared state as it was.
    await expectCode(
      fixture.client.setMany({ username: learner, scope: Scope.PREFERENCES, updates: [{ blockKey: p1, fields: { a: "9" } }, { blockKey: p2, fields: { b: "not json" } }] }),
      Code.InvalidArgument,
    );
    // The same block twice is still a mistake, in every scope.
    const duplicate = await expectCode(
      fixture.client.setMany({ username: learner, scope: Scope.PREFERENCES, updates: [{ blockKey: p1, fields: { a: "9" } }, { blockKey: p1, fields: { b: "9" } }] }),
      Code.InvalidArgument,
    );
    expect(errorInfoOf(duplicate).reason).toBe("DUPLICATE_BLOCK_KEY");
    expect((await read(Scope.PREFERENCES, learner, [p2]))[0]!.fields).toEqual({ a: "1", b: "2", c: "3" });

    // DeleteMany through several keys of one state: one deletion, however many keys.
    await fixture.client.deleteMany({ username: learner, scope: Scope.PREFERENCES, blockKeys: [p1, p2], fieldSelection: selection(["a", "c"]) });
    expect((await read(Scope.PREFERENCES, learner, [p3]))[0]!.fields).toEqual({ b: "2" });
    expect((await history(Scope.PREFERENCES, learner, p1)).states).toEqual([{ b: "2" }, { a: "1", b: "2", c: "3" }]);
  });

  it("answers GetModDates for every key of the type, and IterAllForBlock with every learner's preferences of the block's type", async () => {
    const [first, second, third] = [unique("first"), unique("second"), unique("third")];
    const course = newCourse();
    const [p1, p2] = [blockKey(course, "problem", "p1"), blockKey(newCourse(), "problem", "p2")];
    // A rare type, so that only this test's learners have preferences of it.
    const rareType = unique("quiztype");
    const rare = blockKey(course, rareType, "q1");
    await fixture.client.setMany({ username: first, scope: Scope.PREFERENCES, updates: [{ blockKey: p1, fields: { x: "1", a: "1" } }] });
    const dates = await modDates(Scope.PREFERENCES, first, [p2, p1]);
    expect(dates.names).toEqual([`${p2} a`, `${p2} x`, `${p1} a`, `${p1} x`]);
    expect(dates.times.get(`${p2} x`)).toBe(dates.times.get(`${p1} x`));

    await fixture.client.setMany({ username: first, scope: Scope.PREFERENCES, updates: [{ blockKey: rare, fields: { n: "1" } }] });
    await fixture.client.setMany({ username: second, scope: Scope.PREFERENCES, updates: [{ blockKey: blockKey(newCourse(), rareType, "other"), fields: { n: "2" } }] });
    await fixture.client.setMany({ username: third, scope: Scope.PREFERENCES, updates: [{ blockKey: rare, fields: { n: "3" } }] });
    await fixture.client.deleteMany({ username: third, scope: Scope.PREFERENCES, blockKeys: [rare] });
    expect(await iterateBlock(Scope.PREFERENCES, rare)).toEqual([
      { username: first, blockKey: rare, fields: { n: "1" } },
      { username: second, blockKey: rare, fields: { n: "2" } },
    ]);
    const refused = await expectCode(iterateCourse(Scope.PREFERENCES, course), Code.InvalidArgument);
    expect(errorInfoOf(refused)).toMatchObject({ reason: "UNSUPPORTED_SCOPE", metadata: { field: "scope", scope: "preferences" } });
  });
});

describe("SCOPE_USER_INFO: one state per learner", () => {
  it("is shared by every block of the learner, in every course, and by no other learner", async () => {
    const [learner, other] = [unique("learner"), unique("other")];
    const problem = blockKey(newCourse(), "problem", "p1");
    const html = blockKey(newCourse(), "html", "h1");
    const deprecated = `i4x://${unique("Org")}/Old/video/v1`;
    await fixture.client.setMany({ username: learner, scope: Scope.USER_INFO, updates: [{ blockKey: problem, fields: { locale: '"fr"' } }] });
    await fixture.client.setMany({ username: learner, scope: Scope.USER_INFO, updates: [{ blockKey: html, fields: { tz: '"UTC"' } }] });
    await fixture.client.setMany({ username: other, scope: Scope.USER_INFO, updates: [{ blockKey: html, fields: { locale: '"de"' } }] });

    const shared = { locale: '"fr"', tz: '"UTC"' };
    expect(await read(Scope.USER_INFO, learner, [deprecated, problem])).toEqual([
      { username: learner, blockKey: deprecated, fields: shared },
      { username: learner, blockKey: problem, fields: shared },
    ]);
    expect((await read(Scope.USER_INFO, other, [problem]))[0]!.fields).toEqual({ locale: '"de"' });
    expect((await history(Scope.USER_INFO, learner, deprecated)).states).toEqual([shared, { locale: '"fr"' }]);

    // Deleting through any key deletes the one state.
    await fixture.client.deleteMany({ username: learner, scope: Scope.USER_INFO, blockKeys: [deprecated] });
    expect(await read(Scope.USER_INFO, learner, [problem, html])).toEqual([]);
    expect((await read(Scope.USER_INFO, other, [problem]))[0]!.fields).toEqual({ locale: '"de"' });
  });

  it("is not kept per block or course, so neither IterAll call serves it", async () => {
    const key = blockKey(newCourse(), "problem", "p1");
    for (const call of [iterateBlock(Scope.USER_INFO, key), iterateCourse(Scope.USER_INFO, newCourse())]) {
      expect(errorInfoOf(await expectCode(call, Code.InvalidArgument))).toMatchObject({ reason: "UNSUPPORTED_SCOPE", metadata: { scope: "user_info" } });
    }
  });
});

describe("SCOPE_USER_STATE_SUMMARY: one state per block, shared by all learners", () => {
  it("is shared by every learner, kept apart from other blocks and from each learner's own state", async () => {
    const [alice, bob] = [unique("alice"), unique("bob")];
    const course = newCourse();
    const poll = blockKey(course, "poll", "p1");
    const otherPoll = blockKey(course, "poll", "p2");
    await fixture.client.setMany({ username: alice, scope: Scope.USER_STATE_SUMMARY, updates: [{ blockKey: poll, fields: { yes: "1" } }] });
    await fixture.client.setMany({ username: bob, scope: Scope.USER_STATE_SUMMARY, updates: [{ blockKey: poll, fields: { no: "1" } }] });
    await fixture.client.setMany({ username: alice, scope: Scope.USER_STATE, updates: [{ blockKey: poll, fields: { voted: '"yes"' } }] });

    for (const reader of [alice, bob, unique("anyone")]) {
      expect(await read(Scope.USER_STATE_SUMMARY, reader, [otherPoll, poll])).toEqual([{ username: "", blockKey: poll, fields: { yes: "1", no: "1" } }]);
    }
    expect((await read(Scope.USER_STATE, alice, [poll]))[0]!.fields).toEqual({ voted: '"yes"' });
    expect(await read(Scope.USER_STATE, bob, [poll])).toEqual([]);
    expect(await history(Scope.USER_STATE_SUMMARY, unique("anyone"), poll)).toEqual({ states: [{ yes: "1", no: "1" }, { yes: "1" }], usernames: [""] });
  });

  it("keeps every field written by 50 concurrent writers, each a different learner", async () => {
    const key = blockKey(newCourse(), "poll", "contended");
    const writers = 50;
    const roundsPerWriter = 4;
    // Each writer has its own connection, so the writes really race in the database.
    const clients = Array.from({ length: writers }, () => userStateClient(fixture.server.baseUrl));
    await Promise.all(
      clients.map(async (client, writer) => {
        const username = unique(`voter${writer}`);
        for (let round = 0; round < roundsPerWriter; round += 1) {
          await client.setMany({
            username,
            scope: Scope.USER_STATE_SUMMARY,
            updates: [{ blockKey: key, fields: { [`writer${writer}`]: String(round), [`w${writer}r${round}`]: "true" } }],
          });
        }
      }),
    );
    const [state] = await read(Scope.USER_STATE_SUMMARY, unique("reader"), [key]);
    expect(Object.keys(state!.fields)).toHaveLength(writers * (roundsPerWriter + 1));
    for (let writer = 0; writer < writers; writer += 1) {
      expect(state!.fields[`writer${writer}`]).toBe(String(roundsPerWriter - 1));
      for (let round = 0; round < roundsPerWriter; round += 1) expect(state!.fields[`w${writer}r${round}`]).toBe("true");
    }
    expect((await history(Scope.USER_STATE_SUMMARY, unique("reader"), key)).states).toHaveLength(writers * roundsPerWriter);
  });

  it("streams one summary per block from IterAllForBlock and IterAllForCourse, with no username", async () => {
    const learner = unique("learner");
    const course = newCourse();
    const [poll, survey, deleted] = [blockKey(course, "poll", "a"), blockKey(course, "survey", "b"), blockKey(course, "poll", "c")];
    await fixture.client.setMany({
      username: learner,
      scope: Scope.USER_STATE_SUMMARY,
      updates: [poll, survey, deleted].map((key) => ({ blockKey: key, fields: { n: "1" } })),
    });
    await fixture.client.setMany({ username: unique("learner"), scope: Scope.USER_STATE_SUMMARY, updates: [{ blockKey: poll, fields: { m: "2" } }] });
    await fixture.client.deleteMany({ username: learner, scope: Scope.USER_STATE_SUMMARY, blockKeys: [deleted] });
    await fixture.client.setMany({ username: learner, scope: Scope.USER_STATE, updates: [{ blockKey: poll, fields: { mine: "1" } }] });

    expect(await iterateBlock(Scope.USER_STATE_SUMMARY, poll)).toEqual([{ username: "", blockKey: poll, fields: { n: "1", m: "2" } }]);
    expect(await iterateBlock(Scope.USER_STATE_SUMMARY, deleted)).toEqual([]);
    expect(await iterateCourse(Scope.USER_STATE_SUMMARY, course)).toEqual([
      { username: "", blockKey: poll, fields: { n: "1", m: "2" } },
      { username: "", blockKey: survey, fields: { n: "1" } },
    ]);
    expect(await iterateCourse(Scope.USER_STATE_SUMMARY, course, "survey")).toEqual([{ username: "", blockKey: survey, fields: { n: "1" } }]);
    expect(await iterateCourse(Scope.USER_STATE, course)).toEqual([{ username: learner, blockKey: poll, fields: { mine: "1" } }]);
  });
});

describe("field selection, deletion, GetModDates and GetHistory in every scope", () => {
  const scopes = { SCOPE_PREFERENCES: Scope.PREFERENCES, SCOPE_USER_INFO: Scope.USER_INFO, SCOPE_USER_STATE_SUMMARY: Scope.USER_STATE_SUMMARY };
  for (const [name, scope] of Object.entries(scopes)) {
    it(`behave in ${name} as in SCOPE_USER_STATE`, async () => {
      const learner = unique("learner");
      const key = blockKey(newCourse(), "problem", "p1");
      const write = (fields: Record<string, string>) => fixture.client.setMany({ username: learner, scope, updates: [{ blockKey: key, fields }] });
      const remove = (fieldNames?: string[]) =>
        fixture.client.deleteMany({ username: learner, scope, blockKeys: [key], fieldSelection: fieldNames === undefined ? undefined : selection(fieldNames) });
      const fieldsNow = async (fieldNames?: string[]) => (await read(scope, learner, [key], fieldNames)).map((state) => state.fields);

      await expectCode(collect(fixture.client.getHistory({ username: learner, blockKey: key, scope })), Code.NotFound);
      await write({ a: "1", b: '"x"', c: "[1]" });
      expect(await fieldsNow(["a", "missing"])).toEqual([{ a: "1" }]);
      expect(await fieldsNow([])).toEqual([{}]);

      const before = await modDates(scope, learner, [key]);
      expect(before.names).toEqual([`${key} a`, `${key} b`, `${key} c`]);
      expect((await modDates(scope, learner, [key], ["b", "missing"])).names).toEqual([`${key} b`]);
      await write({ a: "2" });
      const after = await modDates(scope, learner, [key]);
      expect(after.times.get(`${key} a`)!).toBeGreaterThan(before.times.get(`${key} a`)!);
      expect(after.times.get(`${key} b`)).toBe(before.times.get(`${key} b`));

      await remove(["a", "missing"]);
      expect(await fieldsNow()).toEqual([{ b: '"x"', c: "[1]" }]);
      await remove([]);
      await remove(["b", "c"]);
      expect(await fieldsNow()).toEqual([]);
      expect((await modDates(scope, learner, [key])).names).toEqual([]);
      await remove();
      expect((await history(scope, learner, key)).states).toEqual([null, { b: '"x"', c: "[1]" }, { a: "2", b: '"x"', c: "[1]" }, { a: "1", b: '"x"', c: "[1]" }]);

      await write({});
      expect(await fieldsNow()).toEqual([{}]);
      await remove();
      expect(await fieldsNow()).toEqual([]);
    });
  }
});
