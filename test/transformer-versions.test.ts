import { gunzipSync, gzipSync } from "node:zlib";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { blockStructureClient, collect } from "./support/clients.js";
import { blockInputsOf, evaluationTime, generateCourse } from "./support/course-graph.js";
import { expectedView, expectView, scoresOf, viewRequest } from "./support/course-view.js";
import { unique, useServer } from "./support/fixture.js";

const fixture = useServer();

const course = generateCourse(`course-v1:${unique("Org")}+Versions+2026`, {
  chapters: 6,
  sequentialsPerChapter: 3,
  verticalsPerSequential: 2,
  problemsPerVertical: 3,
  libraryChildren: 4,
});
const learner = unique("learner");
const selection = [["problem", "lib2"], ["problem", "lib0"]];
const scores = scoresOf(course);
const edited = timestampFromDate(new Date("2026-05-01T00:00:00Z"));

// The stored structure's JSON (src/domain/block-structure/structure-codec.ts).
interface Stored {
  blocks: Array<{ k: string }>;
  transformers: Record<string, { version: number; data: Record<string, unknown>; blocks: Array<[number, Record<string, unknown>]> }>;
  userStateKeys: number[];
}

beforeAll(async () => {
  await blockStructureClient(fixture.server.baseUrl).updateCollected({ rootBlockKey: course.rootKey, blocks: blockInputsOf(course), dataVersion: "v1", dataEditTimestamp: edited });
  await fixture.client.setMany({
    username: learner,
    updates: [
      { blockKey: course.notable.library, fields: { selected: JSON.stringify(selection) } },
      ...[...scores].map(([key, score]) => ({ blockKey: key, fields: { score: JSON.stringify(score) } })),
    ],
  });
});

describe("a transformer version newer than what was collected", () => {
  it("is collected again from the stored blocks: GetTransformed answers right without a new UpdateCollected", async () => {
    const client = blockStructureClient(fixture.server.baseUrl);
    // Rewrite the stored structure as a release with older transformers left
    // it: visibility collected at version 0 by a collect phase that
    // percolated nothing (every block visible), learner_progress not
    // collected at all (nor the learner state of scored blocks asked for).
    const [row] = (await fixture.db.query<{ data: Buffer }>("select data from block_structure where context_key = $1", [course.courseKey])).rows;
    const stored = JSON.parse(gunzipSync(row!.data).toString("utf8")) as Stored;
    stored.transformers["visibility"] = { version: 0, data: {}, blocks: stored.blocks.map((_, index) => [index, { merged_visible_to_staff_only: false }]) };
    delete stored.transformers["learner_progress"];
    const libraryIndex = stored.blocks.findIndex((block) => block.k === course.notable.library);
    stored.userStateKeys = [libraryIndex];
    const older = gzipSync(JSON.stringify(stored));
    await fixture.db.query(
      `update block_structure set data = $1, state_keys = array[$2], transformers_schema_version = 'an older release', revision = nextval('block_structure_revision_seq')
       where context_key = $3`,
      [older, course.notable.library, course.courseKey],
    );

    const blocks = (await collect(client.getTransformed(viewRequest(course, learner)))).flatMap((message) => message.blocks);
    const expected = expectedView(course, { staff: false, now: evaluationTime, selection, scores });
    expectView(blocks, expected, course);
    expect(blocks.map((block) => block.blockKey)).not.toContain(course.notable.staffChapter);
    expect(blocks[0]!.transformerFields["learner_progress"]!.fields["attempted_blocks"]).toBe(String(expected.progress(course.rootKey)!.attempted_blocks));

    // What is stored is left as it was: the publisher learns it is outdated.
    const upToDate = await client.isUpToDate({ courseKey: course.courseKey, dataVersion: "v1", dataEditTimestamp: edited });
    expect(upToDate.upToDate).toBe(false);
    expect(upToDate.stored?.transformersSchemaVersion).toBe("an older release");
    const [after] = (await fixture.db.query<{ data: Buffer }>("select data from block_structure where context_key = $1", [course.courseKey])).rows;
    expect(after!.data.equals(older)).toBe(true);

    // GetCollected returns what this server's transformers collect.
    const collected = await collect(client.getCollected({ courseKey: course.courseKey }));
    expect(collected[0]!.transformerData["visibility"]!.fields["_version"]).toBe("1");
    expect(collected[0]!.transformerData["learner_progress"]!.fields["_version"]).toBe("1");

    // Publishing again brings the stored copy up to date.
    const republished = await client.updateCollected({ rootBlockKey: course.rootKey, blocks: blockInputsOf(course), dataVersion: "v1", dataEditTimestamp: edited });
    expect(republished.stored?.transformersSchemaVersion).not.toBe("an older release");
    expect((await client.isUpToDate({ courseKey: course.courseKey, dataVersion: "v1", dataEditTimestamp: edited })).upToDate).toBe(true);
  });
});
