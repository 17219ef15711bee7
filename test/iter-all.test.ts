import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { BlockState } from "../gen/learnerstate/v1/user_state_pb.js";
import type { IterAllForCourseResponse } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const rows = (messages: Array<{ blockStates: BlockState[] }>) => messages.flatMap((message) => message.blockStates.map((state) => `${state.username} ${state.blockKey}`));

describe("IterAllForBlock", () => {
  it("streams every learner's current state of one block, skipping deleted state, in a stable order", async () => {
    const course = `course-v1:${unique("Org")}+Iter+2026`;
    const key = blockKey(course, "problem", "p");
    const learners = Array.from({ length: 7 }, (_, index) => unique(`learner${index}`));
    for (const username of learners) await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { who: JSON.stringify(username) } }] });
    await fixture.client.setMany({ username: learners[0]!, updates: [{ blockKey: blockKey(course, "problem", "other"), fields: { x: "1" } }] });
    await fixture.client.deleteMany({ username: learners[3]!, blockKeys: [key] });
    await fixture.client.setMany({ username: learners[1]!, updates: [{ blockKey: key, fields: { later: "1" } }] });

    const messages = await collect(fixture.client.iterAllForBlock({ blockKey: key, batchSize: 2 }));
    expect(messages.map((message) => message.blockStates.length)).toEqual([2, 2, 2]);
    const states = messages.flatMap((message) => message.blockStates);
    expect(states.map((state) => state.username)).toEqual(learners.filter((_, index) => index !== 3));
    expect(states.every((state) => state.blockKey === key && state.fields["who"] === JSON.stringify(state.username))).toBe(true);
    expect(states[1]!.fields["later"]).toBe("1");
    expect(messages.every((message) => message.resumeToken.length > 0)).toBe(true);
    expect(await collect(fixture.client.iterAllForBlock({ blockKey: key, batchSize: 2 }))).toEqual(messages.map((message) => expect.objectContaining({ blockStates: message.blockStates })));
  });
});

describe("IterAllForCourse", () => {
  it("streams every (learner, block) of the course, optionally of one block type", async () => {
    const course = `course-v1:${unique("Org")}+Iter+2026`;
    const other = `course-v1:${unique("Org")}+Iter+2026`;
    const [alice, bob] = [unique("alice"), unique("bob")];
    const problem = blockKey(course, "problem", "p1");
    const video = blockKey(course, "video", "v1");
    await fixture.client.setMany({ username: alice, updates: [problem, video, blockKey(other, "problem", "p1")].map((key) => ({ blockKey: key, fields: { a: "1" } })) });
    await fixture.client.setMany({ username: bob, updates: [{ blockKey: problem, fields: { b: "1" } }] });
    await fixture.client.setMany({ username: bob, updates: [{ blockKey: video, fields: { b: "1" } }] });
    await fixture.client.deleteMany({ username: bob, blockKeys: [video] });

    expect(rows(await collect(fixture.client.iterAllForCourse({ courseKey: course })))).toEqual([`${alice} ${problem}`, `${alice} ${video}`, `${bob} ${problem}`]);
    expect(rows(await collect(fixture.client.iterAllForCourse({ courseKey: course, blockType: "problem" })))).toEqual([`${alice} ${problem}`, `${bob} ${problem}`]);
    expect(rows(await collect(fixture.client.iterAllForCourse({ courseKey: course, blockType: "html" })))).toEqual([]);
  });

  it("files each key form under its own learning context", async () => {
    const org = unique("Org");
    const username = unique("learner");
    const keys = {
      modern: `block-v1:${org}+Forms+2026+type@problem+block@p`,
      ccx: `ccx-block-v1:${org}+Forms+2026+ccx@7+type@problem+block@p`,
      library: `lib-block-v1:${org}+Lib+type@html+block@h`,
      libraryV2: `lb:${org}:lib2:problem:p`,
      aside: `aside-usage-v2:block-v1$:${org}+Forms+2026+type@video+block@v::tagging_aside`,
      deprecated: `i4x://${org}/Old/problem/p`,
    };
    await fixture.client.setMany({ username, updates: Object.values(keys).map((key) => ({ blockKey: key, fields: { v: "1" } })) });
    const blocksOf = async (courseKey: string, blockType = "") =>
      (await collect(fixture.client.iterAllForCourse({ courseKey, blockType }))).flatMap((message) => message.blockStates.map((state) => state.blockKey));
    expect(await blocksOf(`course-v1:${org}+Forms+2026`)).toEqual([keys.modern, keys.aside]);
    expect(await blocksOf(`course-v1:${org}+Forms+2026`, "video")).toEqual([keys.aside]);
    expect(await blocksOf(`ccx-v1:${org}+Forms+2026+ccx@7`)).toEqual([keys.ccx]);
    expect(await blocksOf(`library-v1:${org}+Lib`)).toEqual([keys.library]);
    expect(await blocksOf(`lib:${org}:lib2`)).toEqual([keys.libraryV2]);
    // An i4x:// key has no run: its state belongs to every run of org/course in the old format.
    expect(await blocksOf(`${org}/Old/2012_Fall`)).toEqual([keys.deprecated]);
    expect(await blocksOf(`course-v1:${org}+Old+2012_Fall`)).toEqual([]);
    for (const key of Object.values(keys)) {
      expect((await collect(fixture.client.iterAllForBlock({ blockKey: key }))).flatMap((message) => message.blockStates.map((state) => state.username))).toEqual([username]);
    }
  });

  it("resumes an interrupted stream from its last token with no row lost or repeated", async () => {
    const course = `course-v1:${unique("Org")}+Resume+2026`;
    const learners = Array.from({ length: 40 }, (_, index) => unique(`l${index}`));
    const blocks = Array.from({ length: 25 }, (_, index) => blockKey(course, index % 2 ? "problem" : "html", `b${index}`));
    for (const username of learners) await fixture.client.setMany({ username, updates: blocks.map((key) => ({ blockKey: key, fields: { u: JSON.stringify(username) } })) });
    const everything = rows(await collect(fixture.client.iterAllForCourse({ courseKey: course, batchSize: 1000 })));
    expect(everything).toHaveLength(1000);
    expect(new Set(everything).size).toBe(1000);

    // Break the stream after 6 messages of 97 rows, then resume; repeat until the end.
    const seen: string[] = [];
    let token = "";
    let interruptions = 0;
    for (;;) {
      const abort = new AbortController();
      let received = 0;
      let last: IterAllForCourseResponse | undefined;
      try {
        for await (const message of fixture.client.iterAllForCourse({ courseKey: course, batchSize: 97, resumeToken: token }, { signal: abort.signal })) {
          seen.push(...rows([message]));
          last = message;
          received += 1;
          if (received === 6) abort.abort();
        }
      } catch (error) {
        expect(abort.signal.aborted, String(error)).toBe(true);
      }
      if (!abort.signal.aborted) break;
      interruptions += 1;
      token = last!.resumeToken;
    }
    expect(interruptions).toBe(1);
    expect(seen).toEqual(everything);
  });

  it("refuses a token issued for other parameters, or altered", async () => {
    const course = `course-v1:${unique("Org")}+Token+2026`;
    await fixture.client.setMany({ username: unique("l"), updates: [{ blockKey: blockKey(course, "problem", "p"), fields: { a: "1" } }] });
    const [first] = await collect(fixture.client.iterAllForCourse({ courseKey: course }));
    const token = first!.resumeToken;
    const otherFilter = await expectCode(collect(fixture.client.iterAllForCourse({ courseKey: course, blockType: "video", resumeToken: token })), Code.InvalidArgument);
    expect(errorInfoOf(otherFilter).reason).toBe("INVALID_RESUME_TOKEN");
    // Change one character of the tag's last full 6 bits (the final character carries only 2).
    const altered = `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.slice(-1)}`;
    await expectCode(collect(fixture.client.iterAllForCourse({ courseKey: course, resumeToken: altered })), Code.InvalidArgument);
    await expectCode(collect(fixture.client.iterAllForCourse({ courseKey: course, resumeToken: "garbage" })), Code.InvalidArgument);
    // The last token of a finished stream resumes to an empty stream.
    expect(await collect(fixture.client.iterAllForCourse({ courseKey: course, resumeToken: token }))).toEqual([]);
  });
});

describe("IterAllForCourse streams at once", () => {
  it("each read exactly their own course's states, field for field, while pages and messages reuse buffers", async () => {
    const courses = Array.from({ length: 4 }, (_, index) => `course-v1:${unique("Org")}+Concurrent${index}+2026`);
    for (const [index, course] of courses.entries()) {
      for (let learner = 0; learner < 6; learner += 1) {
        const username = unique(`c${index}l${learner}`);
        // States of different sizes per course, so a page read into another stream's buffer would show.
        const updates = Array.from({ length: 100 }, (_, block) => ({
          blockKey: blockKey(course, "problem", `p${block}`),
          fields: { who: JSON.stringify(`${username}/${block}`), pad: JSON.stringify("x".repeat(50 + 300 * index + block)) },
        }));
        await fixture.client.setMany({ username, updates });
      }
    }
    const expected = await Promise.all(courses.map(async (course) => (await collect(fixture.client.iterAllForCourse({ courseKey: course, batchSize: 1000 }))).flatMap((message) => message.blockStates)));
    for (const states of expected) {
      expect(states).toHaveLength(600);
      for (const state of states) expect(JSON.parse(state.fields["who"]!)).toBe(`${state.username}/${state.blockKey.slice(state.blockKey.lastIndexOf("@p") + 2)}`);
    }
    for (let round = 0; round < 3; round += 1) {
      const reads = await Promise.all(
        [...courses, ...courses].map(async (course, stream) => (await collect(fixture.client.iterAllForCourse({ courseKey: course, batchSize: [1, 7, 100, 1000][stream % 4]! }))).flatMap((message) => message.blockStates)),
      );
      reads.forEach((states, stream) => expect(states).toEqual(expected[stream % courses.length]));
    }
  });
});
