import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { UpdateOutcome, type BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { blockStructureClient, collect } from "./support/clients.js";
import { blockInputsOf, generateCourse, type GeneratedCourse } from "./support/course-graph.js";
import { errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const fixture = useServer();
let client: Client<typeof BlockStructureService>;
// A second server on the same database, with a cache of its own.
let second: ServerProcess;
let secondClient: Client<typeof BlockStructureService>;

const shape = { chapters: 6, sequentialsPerChapter: 3, verticalsPerSequential: 2, problemsPerVertical: 2, libraryChildren: 3 };
const newCourse = () => generateCourse(`course-v1:${unique("Org")}+Publish+2026`, shape);
const at = (iso: string) => timestampFromDate(new Date(iso));
/** A timestamp to the microsecond (a Date holds milliseconds only). */
const atMicros = (iso: string, micros: number) => create(TimestampSchema, { seconds: BigInt(Date.parse(iso) / 1000), nanos: micros * 1000 });

function update(course: GeneratedCourse, edited: string | ReturnType<typeof at>, dataVersion = "v1", blocks = blockInputsOf(course)) {
  return client.updateCollected({ rootBlockKey: course.rootKey, blocks, dataVersion, dataEditTimestamp: typeof edited === "string" ? at(edited) : edited });
}

async function displayNamesOf(target: Client<typeof BlockStructureService>, course: GeneratedCourse): Promise<string[]> {
  const messages = await collect(target.getTransformed({ start: { case: "courseKey", value: course.courseKey }, learner: { hasStaffAccess: true }, requestedFields: ["display_name"] }));
  return messages.flatMap((message) => message.blocks).map((block) => JSON.parse(block.fields["display_name"]!) as string);
}

beforeAll(async () => {
  client = blockStructureClient(fixture.server.baseUrl);
  second = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
  secondClient = blockStructureClient(second.baseUrl);
});
afterAll(async () => {
  expect(await second.stop()).toBe(0);
});

describe("UpdateCollected", () => {
  it("stores a structure and reports its version; repeating it changes nothing; an older one is stale", async () => {
    const course = newCourse();
    const edited = atMicros("2026-05-01T12:00:00Z", 123456);
    const first = await update(course, edited);
    expect(first.outcome).toBe(UpdateOutcome.STORED);
    expect(first.stored).toMatchObject({
      rootBlockKey: course.rootKey,
      courseKey: course.courseKey,
      dataVersion: "v1",
      blockStructureSchemaVersion: "1",
      blockCount: course.blocks.length,
    });
    expect(first.stored!.dataEditTimestamp).toMatchObject({ seconds: BigInt(Date.parse("2026-05-01T12:00:00Z") / 1000), nanos: 123456000 });
    expect(first.stored!.transformersSchemaVersion).toMatch(/^[A-Za-z0-9+/]{27}=$/u);

    expect((await update(course, edited)).outcome).toBe(UpdateOutcome.UNCHANGED);
    expect((await update(course, atMicros("2026-05-01T12:00:00Z", 123455))).outcome).toBe(UpdateOutcome.STALE);
    const stale = await update(course, "2026-04-01T00:00:00Z", "v0");
    expect(stale.outcome).toBe(UpdateOutcome.STALE);
    expect(stale.stored).toMatchObject({ dataVersion: "v1" });
    expect((await update(course, edited, "v1-fix")).outcome).toBe(UpdateOutcome.STORED);
    const newer = await update(course, "2026-05-02T00:00:00Z", "v2");
    expect(newer).toMatchObject({ outcome: UpdateOutcome.STORED, stored: { dataVersion: "v2" } });
  });

  it("refuses a graph that is not a DAG rooted at the root, naming the block, and changes nothing", async () => {
    const course = newCourse();
    await update(course, "2026-05-01T00:00:00Z");
    const blocks = blockInputsOf(course);
    const chapter = blocks.findIndex((block) => block.blockType === "chapter");
    const sequential = blocks.findIndex((block) => block.blockType === "sequential");
    const withChild = (index: number, child: string) => blocks.map((block, position) => (position === index ? { ...block, children: [...block.children, child] } : block));
    const missing = course.rootKey.replace("+type@course+block@course", "+type@vertical+block@missing");
    const cases: Array<[ReturnType<typeof blockInputsOf>, string, string]> = [
      [withChild(chapter, missing), "CHILD_NOT_SENT", `blocks[${chapter}].children[${blocks[chapter]!.children.length}]`],
      [withChild(sequential, blocks[chapter]!.blockKey), "BLOCK_GRAPH_CYCLE", `blocks[${sequential}].children[${blocks[sequential]!.children.length}]`],
      [[...blocks, { blockKey: missing, blockType: "vertical", children: [], fields: {} }], "BLOCK_UNREACHABLE", `blocks[${blocks.length}].block_key`],
      [blocks.filter((block) => block.blockKey !== course.rootKey), "ROOT_BLOCK_NOT_SENT", "root_block_key"],
      [
        [...blocks, { blockKey: "block-v1:Other+Course+2026+type@html+block@x", blockType: "", children: [], fields: {} }],
        "BLOCK_OUTSIDE_CONTEXT",
        `blocks[${blocks.length}].block_key`,
      ],
      [blocks.map((block, index) => (index === chapter ? { ...block, fields: { ...block.fields, start: '"soon"' } } : block)), "INVALID_XBLOCK_FIELD", `blocks[${chapter}].fields["start"]`],
    ];
    for (const [graph, reason, field] of cases) {
      const error = await expectCode(update(course, "2026-06-01T00:00:00Z", "bad", graph), Code.InvalidArgument);
      expect(errorInfoOf(error), reason).toMatchObject({ reason, metadata: { field } });
    }
    const noTimestamp = await expectCode(client.updateCollected({ rootBlockKey: course.rootKey, blocks }), Code.InvalidArgument);
    expect(errorInfoOf(noTimestamp)).toMatchObject({ reason: "MISSING_FIELD", metadata: { field: "data_edit_timestamp" } });
    const { stored } = await client.isUpToDate({ courseKey: course.courseKey, dataVersion: "v1", dataEditTimestamp: at("2026-05-01T00:00:00Z") });
    expect(stored?.dataVersion).toBe("v1");
  });
});

describe("GetCollected", () => {
  it("streams the version, then every block in topological order with its fields and collected data", async () => {
    const course = newCourse();
    await update(course, "2026-05-01T00:00:00Z");
    const messages = await collect(client.getCollected({ courseKey: course.courseKey }));
    expect(messages[0]!.version).toMatchObject({ rootBlockKey: course.rootKey, blockCount: course.blocks.length });
    expect(messages.slice(1).every((message) => message.version === undefined)).toBe(true);
    expect(JSON.parse(messages[0]!.transformerData["visibility"]!.fields["_version"]!)).toBe(1);
    expect(messages[0]!.transformerData["hidden_content"]!.fields["course_end"]).toBe(String(Date.parse("2027-06-30T00:00:00Z")));
    const blocks = messages.flatMap((message) => message.blocks);
    expect(blocks.map((block) => block.blockKey).sort()).toEqual(course.blocks.map((block) => block.key).sort());
    const position = new Map(blocks.map((block, index) => [block.blockKey, index]));
    for (const block of blocks) {
      expect(block.children).toEqual(course.byKey.get(block.blockKey)!.children);
      for (const parent of block.parents) expect(position.get(parent)!).toBeLessThan(position.get(block.blockKey)!);
      expect(block.fields["display_name"]).toBe(JSON.stringify(course.byKey.get(block.blockKey)!.fields["display_name"]));
    }
    // The staff-only chapter's flag percolated down to a vertical under it.
    const staffVertical = blocks.find((block) => block.blockKey.endsWith("+block@v4_0_1"))!;
    expect(staffVertical.transformerData["visibility"]!.fields["merged_visible_to_staff_only"]).toBe("true");
    expect(blocks.find((block) => block.blockKey === course.notable.sharedProblem)!.parents).toHaveLength(2);
  });

  it("answers NOT_FOUND for a course with no structure", async () => {
    const error = await expectCode(collect(client.getCollected({ courseKey: `course-v1:${unique("Org")}+None+2026` })), Code.NotFound);
    expect(errorInfoOf(error).reason).toBe("BLOCK_STRUCTURE_NOT_FOUND");
  });
});

describe("IsUpToDate", () => {
  it("compares the stored version with the given one, and says false without error for a course with none", async () => {
    const course = newCourse();
    await update(course, "2026-05-01T00:00:00Z", "v7");
    const ask = (dataVersion: string, micros: number) => client.isUpToDate({ courseKey: course.courseKey, dataVersion, dataEditTimestamp: atMicros("2026-05-01T00:00:00Z", micros) });
    expect((await ask("v7", 0)).upToDate).toBe(true);
    expect((await ask("v8", 0)).upToDate).toBe(false);
    expect((await ask("v7", 1)).upToDate).toBe(false);
    const none = await client.isUpToDate({ courseKey: `course-v1:${unique("Org")}+None+2026`, dataEditTimestamp: at("2026-05-01T00:00:00Z") });
    expect(none.upToDate).toBe(false);
    expect(none.stored).toBeUndefined();
  });
});

describe("ClearBlockStructure", () => {
  it("deletes the structure, then answers NOT_FOUND, and every server stops serving it", async () => {
    const course = newCourse();
    await update(course, "2026-05-01T00:00:00Z");
    // Both servers have it cached.
    expect((await displayNamesOf(client, course)).length).toBe(course.blocks.length);
    expect((await displayNamesOf(secondClient, course)).length).toBe(course.blocks.length);
    await secondClient.clearBlockStructure({ courseKey: course.courseKey });
    for (const target of [client, secondClient]) {
      const error = await expectCode(displayNamesOf(target, course), Code.NotFound);
      expect(errorInfoOf(error).reason).toBe("BLOCK_STRUCTURE_NOT_FOUND");
    }
    const again = await expectCode(client.clearBlockStructure({ courseKey: course.courseKey }), Code.NotFound);
    expect(errorInfoOf(again).reason).toBe("BLOCK_STRUCTURE_NOT_FOUND");
    expect((await client.isUpToDate({ courseKey: course.courseKey, dataEditTimestamp: at("2026-05-01T00:00:00Z") })).upToDate).toBe(false);
  });
});

describe("the structure cache", () => {
  it("serves what another server stored since, not its cached copy", async () => {
    const course = newCourse();
    await update(course, "2026-05-01T00:00:00Z");
    const before = await displayNamesOf(client, course);
    expect(before).toContain("chapter ch0");
    const renamed = blockInputsOf(course).map((block) => (block.blockKey.endsWith("+block@ch0") ? { ...block, fields: { ...block.fields, display_name: '"Week one"' } } : block));
    const stored = await secondClient.updateCollected({ rootBlockKey: course.rootKey, blocks: renamed, dataVersion: "v2", dataEditTimestamp: at("2026-05-02T00:00:00Z") });
    expect(stored.outcome).toBe(UpdateOutcome.STORED);
    const after = await displayNamesOf(client, course);
    expect(after).toContain("Week one");
    expect(after).not.toContain("chapter ch0");
  });
});
