import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TransformedBlock } from "../gen/learnerstate/v1/block_structure_pb.js";
import type { BlockStructureService, GetTransformedRequestSchema } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { blockStructureClient, collect } from "./support/clients.js";
import { blockInputsOf, evaluationTime, generateCourse, type GeneratedCourse } from "./support/course-graph.js";
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
const allTransformers = [
  "visibility",
  "start_date",
  "hidden_content",
  "library_content",
  "blocks_api:block_depth",
  "blocks_api:block_counts",
  "blocks_api:block_navigation",
  "learner_progress",
];
const countedTypes = ["problem", "html", "video"];
/** The library selection stored for `learner`: three pairs, one naming no child; max_count 2 keeps lib3 and lib1. */
const selection = [["problem", "lib3"], ["problem", "not-a-child"], ["problem", "lib1"], ["problem", "lib5"]];

type Score = { raw_earned: number; raw_possible: number };
/** The learner's stored scores: most problems, some with full marks, some with none. */
const scores = new Map<string, Score>(
  course.blocks
    .filter((block) => block.type === "problem")
    .flatMap((block, index): Array<[string, Score]> => (index % 4 === 3 ? [] : [[block.key, { raw_earned: index % 3, raw_possible: 2 }]])),
);

type RequestInit = MessageInitShape<typeof GetTransformedRequestSchema>;

/** A request for `learner`'s view of the course with every transformer, with `overrides`. */
function request(overrides: Omit<RequestInit, "$typeName"> = {}): RequestInit {
  const base: RequestInit = {
    start: { case: "courseKey", value: course.courseKey },
    learner: { username: learner, evaluateAt: timestampFromMs(evaluationTime) },
    transformers: allTransformers,
    requestedFields: ["display_name", "due"],
    options: { blockTypesToCount: countedTypes, navigationDepth: 1 },
  };
  return { ...base, ...overrides } as RequestInit;
}

async function transformed(init: RequestInit): Promise<TransformedBlock[]> {
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

// ---------------------------------------------------------------------------
// The expected view, computed here from the course's definition and the
// contract's rules, independently of the service's traversals: a block is
// shown when some path from the root reaches it through blocks that each pass
// every filter on their own settings (not staff-only, started, not hidden,
// and selected if a library child).

interface View {
  readonly staff: boolean;
  readonly now: number;
  readonly selection: unknown[] | null;
  readonly scores: ReadonlyMap<string, Score>;
}

interface Expected {
  readonly shown: ReadonlySet<string>;
  readonly parents: (key: string) => string[];
  readonly children: (key: string) => string[];
  readonly depth: ReadonlyMap<string, number>;
  readonly count: (key: string, type: string) => number;
  readonly progress: (key: string) => { earned: number; possible: number; scored_blocks: number; attempted_blocks: number } | undefined;
  readonly selected: string[];
}

function expectedView(graph: GeneratedCourse, view: View): Expected {
  const block = (key: string) => graph.byKey.get(key)!;
  const allParents = new Map<string, string[]>(graph.blocks.map((candidate) => [candidate.key, []]));
  for (const parent of graph.blocks) for (const child of parent.children) allParents.get(child)!.push(parent.key);
  const dateOf = (value: unknown) => (typeof value === "string" ? Date.parse(value) : null);

  const library = block(graph.notable.library);
  const libraryChildren = new Set(library.children);
  const selected: string[] = [];
  for (const entry of view.selection ?? []) {
    const [type, id] = entry as [string, string];
    const child = library.children.find((key) => key.endsWith(`+type@${type}+block@${id}`));
    if (child !== undefined && !selected.includes(child) && selected.length < (library.fields["max_count"] as number)) selected.push(child);
  }

  // hide_after_due: set on the block or on every parent; due: own, else the latest of the parents' (none wins).
  const hideAfterDue = (key: string): boolean => block(key).fields["hide_after_due"] === true || (allParents.get(key)!.length > 0 && allParents.get(key)!.every(hideAfterDue));
  const due = (key: string): number | null => {
    const own = dateOf(block(key).fields["due"]);
    if (own !== null) return own;
    const fromParents = allParents.get(key)!.map(due);
    return fromParents.length === 0 || fromParents.includes(null) ? null : Math.max(...(fromParents as number[]));
  };
  const passes = (key: string): boolean => {
    const fields = block(key).fields;
    if (libraryChildren.has(key) && !selected.includes(key)) return false;
    if (view.staff) return true;
    const start = dateOf(fields["start"]) ?? (key === graph.rootKey ? Date.UTC(2030, 0, 1) : Number.NEGATIVE_INFINITY);
    const dueDate = due(key);
    const hidden = hideAfterDue(key) && dueDate !== null && view.now >= dueDate;
    return fields["visible_to_staff_only"] !== true && start < view.now && !hidden;
  };

  const shown = new Set<string>();
  const pending = passes(graph.rootKey) ? [graph.rootKey] : [];
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    if (shown.has(key)) continue;
    shown.add(key);
    for (const child of block(key).children) if (passes(child)) pending.push(child);
  }
  const children = (key: string) => block(key).children.filter((child) => shown.has(child));
  const parents = (key: string) => allParents.get(key)!.filter((parent) => shown.has(parent));

  // Depth: breadth first from the root, so the shallowest path wins.
  const depth = new Map<string, number>([[graph.rootKey, 0]]);
  const queue = shown.has(graph.rootKey) ? [graph.rootKey] : [];
  for (let index = 0; index < queue.length; index += 1) {
    for (const child of children(queue[index]!)) {
      if (depth.has(child)) continue;
      depth.set(child, depth.get(queue[index]!)! + 1);
      queue.push(child);
    }
  }

  // Counts as upstream sums them: per path, so a shared block counts under each parent.
  const count = (key: string, type: string): number => (block(key).type === type ? 1 : 0) + children(key).reduce((sum, child) => sum + count(child, type), 0);

  const scoreOf = (key: string) => {
    const fields = block(key).fields;
    const stored = view.scores.get(key);
    const rawEarned = stored?.raw_earned ?? 0;
    const rawPossible = stored?.raw_possible ?? (fields["max_score"] as number);
    const weight = fields["weight"] as number | undefined;
    return weight !== undefined && rawPossible !== 0 ? { earned: (rawEarned * weight) / rawPossible, possible: weight, attempted: stored !== undefined } : { earned: rawEarned, possible: rawPossible, attempted: stored !== undefined };
  };
  const progress = (key: string) => {
    const under = new Set<string>();
    const stack = [key];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      if (under.has(current)) continue;
      under.add(current);
      stack.push(...children(current));
    }
    const scored = [...under].filter((candidate) => block(candidate).fields["has_score"] === true);
    if (scored.length === 0) return undefined;
    const each = scored.map(scoreOf);
    return {
      earned: each.reduce((sum, score) => sum + score.earned, 0),
      possible: each.reduce((sum, score) => sum + score.possible, 0),
      scored_blocks: scored.length,
      attempted_blocks: each.filter((score) => score.attempted).length,
    };
  };
  return { shown, parents, children, depth, count, progress, selected };
}

/** Checks every block the service returned against the expected view. */
function expectView(blocks: readonly TransformedBlock[], expected: Expected, graph: GeneratedCourse): void {
  const keys = blocks.map((block) => block.blockKey);
  expect(new Set(keys).size, "each block once").toBe(keys.length);
  expect([...keys].sort()).toEqual([...expected.shown].sort());
  const position = new Map(keys.map((key, index) => [key, index]));
  for (const block of blocks) {
    const key = block.blockKey;
    for (const parent of expected.parents(key)) expect(position.get(parent)!, `${parent} before ${key}`).toBeLessThan(position.get(key)!);
    expect(block.children, `children of ${key}`).toEqual(expected.children(key));
    expect(block.blockType).toBe(graph.byKey.get(key)!.type);
    expect(block.fields["display_name"]).toBe(JSON.stringify(graph.byKey.get(key)!.fields["display_name"]));
    expect(JSON.parse(block.transformerFields["blocks_api:block_depth"]!.fields["depth"]!), `depth of ${key}`).toBe(expected.depth.get(key));
    const counts = block.transformerFields["blocks_api:block_counts"]!.fields;
    for (const type of countedTypes) expect(JSON.parse(counts[type]!), `${type} count of ${key}`).toBe(expected.count(key, type));
    const progress = expected.progress(key);
    const reported = block.transformerFields["learner_progress"]?.fields;
    if (progress === undefined) {
      expect(reported, `no progress at ${key}`).toBeUndefined();
    } else {
      expect(JSON.parse(reported!["earned"]!), `earned at ${key}`).toBeCloseTo(progress.earned, 9);
      expect(JSON.parse(reported!["possible"]!), `possible at ${key}`).toBeCloseTo(progress.possible, 9);
      expect(JSON.parse(reported!["scored_blocks"]!)).toBe(progress.scored_blocks);
      expect(JSON.parse(reported!["attempted_blocks"]!)).toBe(progress.attempted_blocks);
    }
  }
}

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

  it("refuses an unregistered transformer, listing the registered ones", async () => {
    const error = await expectCode(collect(client.getTransformed(request({ transformers: ["visibility", "grades"] }))), Code.InvalidArgument);
    const info = errorInfoOf(error);
    expect(info).toMatchObject({ reason: "UNKNOWN_TRANSFORMER", metadata: { field: "transformers[1]", name: "grades" } });
    expect(info.metadata["registered"]!.split(",")).toEqual([...allTransformers].sort());
    expect(error.rawMessage).toContain("blocks_api:block_depth");
  });

  it("refuses malformed requests, naming the field", async () => {
    const cases: Array<[Omit<RequestInit, "$typeName">, string, string]> = [
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
