import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, inject, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { ChangeKind, FieldSelectionSchema, type StateChange } from "../gen/learnerstate/v1/user_state_pb.js";
import type { WatchChangesResponse } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, unique, useServer } from "./support/fixture.js";
import { startServerProcess } from "./support/server-process.js";

const fixture = useServer();

/** Reads `stream` until `enough` holds for the changes read, or `timeoutMs` passes; returns them and the last token. */
async function readUntil(
  stream: AsyncIterable<WatchChangesResponse>,
  enough: (changes: StateChange[]) => boolean,
  timeoutMs = 10_000,
): Promise<{ changes: StateChange[]; token: string }> {
  const changes: StateChange[] = [];
  let token = "";
  const timer = setTimeout(() => void iterator.return?.(), timeoutMs);
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      changes.push(...next.value.changes);
      token = next.value.resumeToken;
      if (enough(changes)) break;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
  return { changes, token };
}

/** The first message of a watch from now: its token marks "now". */
async function tokenOfNow(courseKey: string, controller: AbortController): Promise<{ stream: AsyncIterator<WatchChangesResponse>; token: string }> {
  const stream = fixture.client.watchChanges({ courseKey }, { signal: controller.signal })[Symbol.asyncIterator]();
  const first = await stream.next();
  if (first.done) throw new Error("the watch ended at once");
  expect(first.value.changes).toEqual([]);
  return { stream, token: first.value.resumeToken };
}

describe("WatchChanges", () => {
  it("streams each committed write, field deletion, whole deletion and retirement of the course, in order, and nothing of another course", async () => {
    const course = `course-v1:${unique("Org")}+Watch+2026`;
    const other = `course-v1:${unique("Org")}+Other+2026`;
    const learner = unique("learner");
    const key = blockKey(course, "problem", "p1");
    const controller = new AbortController();
    const { stream, token } = await tokenOfNow(course, controller);
    await fixture.client.setMany({ username: learner, updates: [{ blockKey: blockKey(other, "problem", "x"), fields: { a: "1" } }] });
    await fixture.client.setMany({ username: learner, updates: [{ blockKey: key, fields: { b: "2", a: "1" } }] });
    await fixture.client.deleteMany({ username: learner, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["a", "zz"] }) });
    await fixture.client.deleteMany({ username: learner, blockKeys: [key] });
    await fixture.client.setMany({ username: learner, updates: [{ blockKey: key, fields: { c: "3" } }] });
    await fixture.client.retireLearner({ username: learner });

    const read: StateChange[] = [];
    while (read.length < 5) {
      const next = await stream.next();
      if (next.done) throw new Error("the watch ended");
      read.push(...next.value.changes);
    }
    controller.abort();
    expect(read.map((change) => [change.kind, change.blockKey, change.fieldNames, change.courseKey, change.username, change.scope])).toEqual([
      [ChangeKind.FIELDS_WRITTEN, key, ["a", "b"], course, learner, Scope.USER_STATE],
      [ChangeKind.FIELDS_DELETED, key, ["a"], course, learner, Scope.USER_STATE],
      [ChangeKind.STATE_DELETED, key, [], course, learner, Scope.USER_STATE],
      [ChangeKind.FIELDS_WRITTEN, key, ["c"], course, learner, Scope.USER_STATE],
      [ChangeKind.LEARNER_RETIRED, "", [], course, learner, Scope.UNSPECIFIED],
    ]);
    const times = read.map((change) => change.updateTime!.seconds * 1_000_000n + BigInt(change.updateTime!.nanos / 1000));
    expect([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);

    // The same changes again from the first token, on a new stream.
    const again = await readUntil(fixture.client.watchChanges({ courseKey: course, resumeToken: token }), (changes) => changes.length >= 5);
    expect(again.changes).toEqual(read);
  });

  it("refuses an altered token with INVALID_ARGUMENT", async () => {
    const course = `course-v1:${unique("Org")}+Future+2026`;
    const controller = new AbortController();
    const { token } = await tokenOfNow(course, controller);
    controller.abort();
    expect(token).not.toBe("");
    // A token cannot be built by hand (it is signed): INVALID_ARGUMENT for an altered one.
    const altered = `${token.slice(0, -3)}${token.endsWith("A") ? "B" : "A"}${token.slice(-2)}`;
    const error = await readUntil(fixture.client.watchChanges({ courseKey: course, resumeToken: altered }), () => true).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect(errorInfoOf(error as ConnectError).reason).toBe("INVALID_RESUME_TOKEN");
  });
});

describe("WatchChanges of a backlog many reads long", () => {
  it("gives each change of the course once, in order, live and resumed on a server that reads the backlog itself, and so does a watch of every course", async () => {
    const [course, other] = [`course-v1:${unique("Org")}+Backlog+2026`, `course-v1:${unique("Org")}+Busy+2026`];
    const learner = unique("learner");
    const keysOf = (courseKey: string, round: number) => Array.from({ length: 100 }, (_, index) => blockKey(courseKey, "problem", `r${round}b${index}`));
    const controller = new AbortController();
    const live = await tokenOfNow(course, controller);
    const everyCourse = await tokenOfNow("", controller);
    // 1,200 changes of the course between as many of another, more than two reads of 500 each.
    const written: string[] = [];
    for (let round = 0; round < 12; round += 1) {
      await fixture.client.setMany({ username: learner, updates: keysOf(other, round).map((key) => ({ blockKey: key, fields: { a: "1" } })) });
      const keys = keysOf(course, round);
      await fixture.client.setMany({ username: learner, updates: keys.map((key) => ({ blockKey: key, fields: { a: "1" } })) });
      written.push(...keys);
    }
    const liveChanges: StateChange[] = [];
    while (liveChanges.length < written.length) {
      const next = await live.stream.next();
      if (next.done) throw new Error("the watch ended");
      liveChanges.push(...next.value.changes);
    }
    controller.abort();
    expect(liveChanges.map((change) => change.blockKey)).toEqual(written);

    // A second server has no reader holding these changes: it walks the backlog in the database.
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
    try {
      const client = userStateClient(server.baseUrl);
      const resumed = await readUntil(client.watchChanges({ courseKey: course, resumeToken: live.token }), (changes) => changes.length >= written.length);
      expect(resumed.changes.map((change) => change.blockKey)).toEqual(written);
      // Other tests write beside this one: of every course's changes, those of these two courses.
      const ofBoth = (changes: StateChange[]) => changes.filter((change) => change.courseKey === course || change.courseKey === other);
      const all = await readUntil(client.watchChanges({ courseKey: "", resumeToken: everyCourse.token }), (changes) => ofBoth(changes).length >= 2 * written.length, 30_000);
      const expected = Array.from({ length: 12 }, (_, round) => [...keysOf(other, round), ...keysOf(course, round)]).flat();
      expect(ofBoth(all.changes).map((change) => change.blockKey)).toEqual(expected);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("WatchChanges of large changes", () => {
  it("splits a read whose changes would make a message over 4 MB into several, none over it, and resumes between them", async () => {
    const course = `course-v1:${unique("Org")}+Large+2026`;
    const learner = unique("learner");
    // 40 blocks of 1,000 fields with names of 200 characters: about 8 MB of field names in changes committed together.
    const names = Array.from({ length: 1000 }, (_, index) => `${String(index).padStart(4, "0")}${"n".repeat(196)}`);
    const updates = Array.from({ length: 40 }, (_, block) => ({ blockKey: blockKey(course, "problem", `p${block}`), fields: Object.fromEntries(names.map((name) => [name, "1"])) }));
    const client = userStateClient(fixture.server.baseUrl, "grpc", { readMaxBytes: 4 * 1024 * 1024 });
    const controller = new AbortController();
    const stream = client.watchChanges({ courseKey: course }, { signal: controller.signal })[Symbol.asyncIterator]();
    await stream.next();
    await fixture.client.setMany({ username: learner, updates });
    const messages: WatchChangesResponse[] = [];
    while (messages.reduce((sum, message) => sum + message.changes.length, 0) < 40) {
      const next = await stream.next();
      if (next.done) throw new Error("the watch ended");
      messages.push(next.value);
    }
    controller.abort();
    expect(messages.length).toBeGreaterThan(2);
    expect(messages.flatMap((message) => message.changes.map((change) => change.blockKey))).toEqual(updates.map((update) => update.blockKey));
    expect(messages.flatMap((message) => message.changes).every((change) => change.fieldNames.length === 1000)).toBe(true);
    // Resuming after the first message gives the rest, once.
    const rest = await readUntil(client.watchChanges({ courseKey: course, resumeToken: messages[0]!.resumeToken }), (changes) => changes.length >= 40 - messages[0]!.changes.length);
    expect(rest.changes.map((change) => change.blockKey)).toEqual(updates.slice(messages[0]!.changes.length).map((update) => update.blockKey));
  });
});

describe("WatchChanges with a short retention", () => {
  it("answers OUT_OF_RANGE (CHANGE_FEED_EXPIRED) for a token older than the changes kept, and serves a newer one", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), CHANGE_FEED_RETENTION_SECONDS: "1", CHANGE_FEED_RETENTION_INTERVAL_MS: "200" });
    try {
      const client = userStateClient(server.baseUrl);
      const course = `course-v1:${unique("Org")}+Expire+2026`;
      const key = blockKey(course, "problem", "p");
      const firstToken = async () => {
        for await (const response of client.watchChanges({ courseKey: course })) return response.resumeToken;
        throw new Error("the watch ended at once");
      };
      const old = await firstToken();
      await client.setMany({ username: unique("learner"), updates: [{ blockKey: key, fields: { a: "1" } }] });
      // Beyond the retention, and a few runs of its job later.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const removed = await fixture.db.query("select 1 from state_change where context_key = $1", [course]);
      expect(removed.rowCount).toBe(0);
      // On a server whose shared reader has not kept these changes in memory (one that had would serve them from there).
      const error = await readUntil(fixture.client.watchChanges({ courseKey: course, resumeToken: old }), () => true).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.OutOfRange);
      expect(errorInfoOf(error as ConnectError).reason).toBe("CHANGE_FEED_EXPIRED");

      const fresh = await firstToken();
      const learner = unique("learner");
      await client.setMany({ username: learner, updates: [{ blockKey: key, fields: { b: "2" } }] });
      const resumed = await readUntil(client.watchChanges({ courseKey: course, resumeToken: fresh }), (changes) => changes.length >= 1);
      expect(resumed.changes.map((change) => [change.username, change.fieldNames])).toEqual([[learner, ["b"]]]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
