import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import type { TransformedBlock } from "../gen/learnerstate/v1/block_structure_pb.js";
import type { BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { blockStructureClient, collect } from "./support/clients.js";
import { allTransformers, blockInputsOf, evaluationTime, generateCourse } from "./support/course-graph.js";
import { expectedView, expectView, scoresOf, viewRequest, type TransformRequestInit, type View } from "./support/course-view.js";
import { errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
let client: Client<typeof BlockStructureService>;

// Several hundred blocks: 6 chapters × 3 sequentials × 3 verticals × (3 problems, an html, a video), and a library.
const course = generateCourse(`course-v1:${unique("Org")}+Blocks+2026`, {
  chapters: 6,
  sequentialsPerChapter: 3,
  verticalsPerSequential: 3,
  problemsPerVertical: 3,
  libraryChildren: 6,
});
const learner = unique("learner");
/** The library selection stored for `learner`: three pairs, one naming no child; max_count 2 keeps lib3 and lib1. */
const selection = [["problem", "lib3"], ["problem", "not-a-child"], ["problem", "lib1"], ["problem", "lib5"]];
const scores = scoresOf(course);
const request = (overrides: Omit<TransformRequestInit, "$typeName"> = {}) => viewRequest(course, learner, overrides);

async function transformed(init: TransformRequestInit): Promise<TransformedBlock[]> {
  return (await collect(client.getTransformed(init))).flatMap((message) => message.blocks);
}

beforeAll(async () => {
  client = blockStructureClient(fixture.server.baseUrl);
  const stored = await client.updateCollected({
    rootBlockKey: course.rootKey,
    blocks: blockInputsOf(course),
    dataVersion: "v1",
    dataEditTimestamp: timestampFromDate(new Date("2026-05-01T12:00:00Z")),
  });
  expect(stored.stored?.blockCount).toBe(course.blocks.length);
  await fixture.client.setMany({
    username: learner,
    updates: [
      { blockKey: course.notable.library, fields: { selected: JSON.stringify(selection) } },
      ...[...scores].map(([key, score]) => ({ blockKey: key, fields: { score: JSON.stringify(score), attempts: "1" } })),
    ],
  });
});

const learnerView: View = { staff: false, now: evaluationTime, selection, scores };

describe("GetTransformed", () => {
  it("returns exactly the blocks a learner may see, in topological order, with depths, counts and progress", async () => {
    const blocks = await transformed(request());
    const expected = expectedView(course, learnerView);
    expectView(blocks, expected, course);
    const keys = blocks.map((block) => block.blockKey);
    const { notable } = course;
    for (const absent of [notable.staffChapter, notable.futureChapter, notable.futureSequential, notable.hiddenSequential]) expect(keys).not.toContain(absent);
    for (const present of [notable.dueLaterSequential, notable.sharedVertical, notable.sharedProblem, notable.library]) expect(keys).toContain(present);
    // The shared vertical has two visible parents and comes once, after both.
    expect(keys.filter((key) => key === notable.sharedVertical)).toHaveLength(1);
    expect(expected.parents(notable.sharedVertical)).toHaveLength(2);
    // The library's children are the stored selection, at most max_count of them.
    const library = blocks.find((block) => block.blockKey === notable.library)!;
    expect(library.children).toEqual(notable.libraryChildren.filter((key) => key.endsWith("+block@lib1") || key.endsWith("+block@lib3")));
    expect(JSON.parse(library.transformerFields["library_content"]!.fields["selected"]!)).toEqual(expected.selected);
    expect(expected.selected.map((key) => key.slice(key.lastIndexOf("@") + 1))).toEqual(["lib3", "lib1"]);
    // Navigation to depth 1: the root lists its chapters, and each chapter every
    // block under it but the hide_from_toc videos (leaves, so nothing hides behind them).
    const navigation = (key: string) => JSON.parse(blocks.find((block) => block.blockKey === key)!.transformerFields["blocks_api:block_navigation"]!.fields["descendants"]!) as string[];
    expect(navigation(course.rootKey)).toEqual(expected.children(course.rootKey));
    for (const chapter of expected.children(course.rootKey)) {
      const under = new Set<string>();
      const stack = [...expected.children(chapter)];
      for (let key = stack.pop(); key !== undefined; key = stack.pop()) if (!under.has(key)) (under.add(key), stack.push(...expected.children(key)));
      const listed = [...under].filter((key) => course.byKey.get(key)!.fields["hide_from_toc"] !== true);
      expect(navigation(chapter).sort(), `navigation of ${chapter}`).toEqual(listed.sort());
    }
    // Sanity of the independent computation itself: it is not vacuous.
    expect(blocks.length).toBeGreaterThan(150);
    expect(blocks.length).toBeLessThan(course.blocks.length - 50);
    expect(JSON.parse(blocks[0]!.transformerFields["learner_progress"]!.fields["attempted_blocks"]!)).toBeGreaterThan(50);
  });

  it("shows staff the staff-only, unreleased and hidden blocks, but only the learner's library selection", async () => {
    const blocks = await transformed(request({ learner: { username: learner, hasStaffAccess: true, evaluateAt: timestampFromMs(evaluationTime) } }));
    expectView(blocks, expectedView(course, { ...learnerView, staff: true }), course);
    const keys = blocks.map((block) => block.blockKey);
    const { notable } = course;
    for (const present of [notable.staffChapter, notable.futureChapter, notable.futureSequential, notable.hiddenSequential]) expect(keys).toContain(present);
    expect(blocks.find((block) => block.blockKey === notable.library)!.children).toHaveLength(2);
    const learnerKeys = (await transformed(request())).map((block) => block.blockKey);
    expect(learnerKeys.length).toBeLessThan(keys.length);
  });

  it("gives each learner the library children of their own stored selection, and none without one", async () => {
    const other = unique("other");
    await fixture.client.setMany({ username: other, updates: [{ blockKey: course.notable.library, fields: { selected: JSON.stringify([["problem", "lib0"], ["problem", "lib4"]]) } }] });
    const libraryChildrenFor = async (username: string) =>
      (await transformed(request({ learner: { username, evaluateAt: timestampFromMs(evaluationTime) } }))).find((block) => block.blockKey === course.notable.library)!.children;
    const byId = (ids: string[]) => ids.map((id) => course.notable.libraryChildren.find((key) => key.endsWith(`+block@${id}`))!);
    expect(await libraryChildrenFor(other)).toEqual(byId(["lib0", "lib4"]));
    expect(await libraryChildrenFor(unique("nobody"))).toEqual([]);
    await fixture.client.setMany({ username: other, updates: [{ blockKey: course.notable.library, fields: { selected: JSON.stringify([["problem", "lib2"]]) } }] });
    expect(await libraryChildrenFor(other)).toEqual(byId(["lib2"]));
    // And the progress of the course follows the selection: lib2 has no score of that learner.
    const root = (await transformed(request({ learner: { username: other, evaluateAt: timestampFromMs(evaluationTime) } })))[0]!;
    const expected = expectedView(course, { staff: false, now: evaluationTime, selection: [["problem", "lib2"]], scores: new Map() });
    expect(JSON.parse(root.transformerFields["learner_progress"]!.fields["possible"]!)).toBeCloseTo(expected.progress(course.rootKey)!.possible, 9);
  });

  it("starts at a starting block, with depth 0 there, and returns nothing under a block the learner may not see", async () => {
    const chapter = course.blocks.find((block) => block.key.endsWith("+block@ch0"))!;
    const blocks = await transformed(request({ start: { case: "startingBlockKey", value: chapter.key } }));
    expect(blocks[0]!.blockKey).toBe(chapter.key);
    expect(JSON.parse(blocks[0]!.transformerFields["blocks_api:block_depth"]!.fields["depth"]!)).toBe(0);
    const expected = expectedView(course, learnerView);
    const under = new Set<string>();
    const stack = [chapter.key];
    for (let key = stack.pop(); key !== undefined; key = stack.pop()) if (!under.has(key)) (under.add(key), stack.push(...expected.children(key)));
    expect(blocks.map((block) => block.blockKey).sort()).toEqual([...under].sort());

    const messages = await collect(client.getTransformed(request({ start: { case: "startingBlockKey", value: course.notable.staffChapter } })));
    expect(messages.flatMap((message) => message.blocks)).toEqual([]);
    expect(messages[0]!.rootBlockKey).toBe(course.notable.staffChapter);
    expect(messages[0]!.version?.courseKey).toBe(course.courseKey);
  });

  it("evaluates dates at the requested time, and at the server's clock by default", async () => {
    const at = (ms: number) => request({ learner: { username: learner, evaluateAt: timestampFromMs(ms) }, transformers: ["start_date"] });
    const keysAt = async (ms: number) => new Set((await transformed(at(ms))).map((block) => block.blockKey));
    expect((await keysAt(Date.UTC(2025, 11, 31))).size).toBe(0);
    expect(await keysAt(Date.UTC(2027, 0, 2))).toContain(course.notable.futureChapter);
    const now = await collect(client.getTransformed(request({ learner: { username: learner }, transformers: [] })));
    const evaluated = Number(now[0]!.evaluatedAt!.seconds) * 1000;
    expect(Math.abs(evaluated - Date.now())).toBeLessThan(60_000);
  });

  it("answers NOT_FOUND for a course without a structure and a starting block outside it", async () => {
    const missing = await expectCode(collect(client.getTransformed(request({ start: { case: "courseKey", value: `course-v1:${unique("Org")}+None+2026` } }))), Code.NotFound);
    expect(errorInfoOf(missing).reason).toBe("BLOCK_STRUCTURE_NOT_FOUND");
    const outside = course.rootKey.replace("+type@course+block@course", "+type@problem+block@never-published");
    const notInStructure = await expectCode(collect(client.getTransformed(request({ start: { case: "startingBlockKey", value: outside } }))), Code.NotFound);
    expect(errorInfoOf(notInStructure)).toMatchObject({ reason: "USAGE_KEY_NOT_IN_BLOCK_STRUCTURE", metadata: { key: outside } });
  });

  it("answers the same over gRPC, gRPC-Web and Connect JSON", async () => {
    const viaGrpc = await transformed(request());
    for (const protocol of ["grpc-web", "connect"] as const) {
      const other = (await collect(blockStructureClient(fixture.server.baseUrl, protocol).getTransformed(request()))).flatMap((message) => message.blocks);
      expect(other, protocol).toEqual(viaGrpc);
    }
  });

  it("refuses an unregistered transformer, listing the registered ones", async () => {
    const error = await expectCode(collect(client.getTransformed(request({ transformers: ["visibility", "grades"] }))), Code.InvalidArgument);
    const info = errorInfoOf(error);
    expect(info).toMatchObject({ reason: "UNKNOWN_TRANSFORMER", metadata: { field: "transformers[1]", name: "grades" } });
    expect(info.metadata["registered"]!.split(",")).toEqual([...allTransformers].sort());
    expect(error.rawMessage).toContain("blocks_api:block_depth");
  });

  it("refuses malformed requests, naming the field", async () => {
    const cases: Array<[Omit<TransformRequestInit, "$typeName">, string, string]> = [
      [{ start: { case: undefined } }, "MISSING_FIELD", "course_key"],
      [{ start: { case: "courseKey", value: "nonsense" } }, "INVALID_COURSE_KEY", "course_key"],
      [{ start: { case: "startingBlockKey", value: "nonsense" } }, "INVALID_USAGE_KEY", "starting_block_key"],
      [{ learner: { username: "" } }, "INVALID_USERNAME", "learner.username"],
      [{ transformers: ["visibility", "visibility"] }, "DUPLICATE_TRANSFORMER", "transformers[1]"],
      [{ transformers: ["blocks_api:block_navigation", "blocks_api:block_depth"] }, "TRANSFORMER_DEPENDENCY", "transformers[0]"],
      [{ options: { requestedDepth: -1 } }, "INVALID_TRANSFORMER_OPTION", "options.requested_depth"],
    ];
    for (const [overrides, reason, field] of cases) {
      const error = await expectCode(collect(client.getTransformed(request(overrides))), Code.InvalidArgument);
      expect(errorInfoOf(error), reason).toMatchObject({ reason, metadata: { field } });
    }
  });
});
