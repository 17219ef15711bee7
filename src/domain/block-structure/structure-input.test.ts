import { describe, expect, it } from "vitest";
import { LearnerStateError } from "../errors.js";
import { defaultLimits } from "../state/index.js";
import { readStructureInput, type BlockInput } from "./structure-input.js";
import { keyOf, nameOf } from "./testing.js";

const limits = { ...defaultLimits, maxStructureBlocks: 10 };
const block = (name: string, children: string[] = [], fields: Record<string, string> = {}): BlockInput => ({ blockKey: keyOf(name), blockType: "", children: children.map(keyOf), fields });
const read = (blocks: BlockInput[], root = "course.c") => readStructureInput({ rootBlockKey: keyOf(root), blocks }, limits);

/** The reason and field of the INVALID_ARGUMENT `run` throws. */
function rejection(run: () => unknown): { reason: string; field: string | undefined; kind: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof LearnerStateError) return { reason: error.reason, field: error.metadata["field"], kind: error.kind };
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("readStructureInput()", () => {
  it("should return the blocks in topological order with parents, canonical keys and the course", () => {
    const { structure, contextKey } = read([block("problem.p"), block("chapter.b", ["problem.p"]), block("course.c", ["chapter.a", "chapter.b"]), block("chapter.a", ["problem.p"])]);
    expect(contextKey).toBe("course-v1:Org+Course+Run");
    expect([...structure.blocks.keys()].map(nameOf)).toEqual(["course.c", "chapter.a", "chapter.b", "problem.p"]);
    // Parents in the order the blocks naming them were sent.
    expect(structure.blocks.get(keyOf("problem.p"))!.parents.map(nameOf)).toEqual(["chapter.b", "chapter.a"]);
    expect(structure.blocks.get(keyOf("problem.p"))!.blockId).toBe("p");
  });

  it("should name the block of each malformed graph", () => {
    expect(rejection(() => read([block("course.c", ["chapter.a"])]))).toMatchObject({ reason: "CHILD_NOT_SENT", field: "blocks[0].children[0]" });
    expect(rejection(() => read([block("chapter.a")]))).toMatchObject({ reason: "ROOT_BLOCK_NOT_SENT", field: "root_block_key" });
    expect(rejection(() => read([block("course.c", ["chapter.a", "chapter.a"]), block("chapter.a")]))).toMatchObject({ reason: "DUPLICATE_CHILD", field: "blocks[0].children[1]" });
    expect(rejection(() => read([block("course.c", ["chapter.a"]), block("chapter.a", ["vertical.v"]), block("vertical.v", ["chapter.a"])]))).toMatchObject({
      reason: "BLOCK_GRAPH_CYCLE",
      field: "blocks[2].children[0]",
    });
    expect(rejection(() => read([block("course.c", ["chapter.a"]), block("chapter.a", ["course.c"])]))).toMatchObject({ reason: "BLOCK_GRAPH_CYCLE" });
    expect(rejection(() => read([block("course.c", ["chapter.a"]), block("chapter.a", ["chapter.a"])]))).toMatchObject({ reason: "BLOCK_GRAPH_CYCLE" });
    expect(rejection(() => read([block("course.c"), block("chapter.a"), block("chapter.b", ["chapter.b"])]))).toMatchObject({ reason: "BLOCK_UNREACHABLE", field: "blocks[1].block_key" });
    expect(rejection(() => read([block("course.c"), block("course.c")]))).toMatchObject({ reason: "DUPLICATE_BLOCK_KEY", field: "blocks[1].block_key" });
  });

  it("should refuse blocks of another course, wrong types, bad keys and too many blocks", () => {
    const other = { blockKey: "block-v1:Other+Course+Run+type@chapter+block@a", blockType: "", children: [], fields: {} };
    expect(rejection(() => read([block("course.c"), other]))).toMatchObject({ reason: "BLOCK_OUTSIDE_CONTEXT", field: "blocks[1].block_key" });
    expect(rejection(() => read([{ ...block("course.c"), blockType: "chapter" }]))).toMatchObject({ reason: "BLOCK_TYPE_MISMATCH", field: "blocks[0].block_type" });
    expect(rejection(() => read([{ ...block("course.c"), blockKey: "not a key" }]))).toMatchObject({ reason: "INVALID_USAGE_KEY", field: "blocks[0].block_key" });
    expect(rejection(() => readStructureInput({ rootBlockKey: "nope", blocks: [] }, limits))).toMatchObject({ reason: "INVALID_USAGE_KEY", field: "root_block_key" });
    const many = Array.from({ length: 11 }, (_, index) => block(`chapter.x${index}`));
    expect(rejection(() => read(many))).toMatchObject({ reason: "TOO_MANY_ITEMS", field: "blocks" });
  });

  it("should check the types of the fields transformers read, and any field's JSON", () => {
    expect(read([block("course.c", [], { start: '"2026-09-01T00:00:00Z"', visible_to_staff_only: "true", weight: "null", custom: '{"a": [1]}' })]).structure.blocks.size).toBe(1);
    expect(rejection(() => read([block("course.c", [], { start: '"next week"' })]))).toMatchObject({ reason: "INVALID_XBLOCK_FIELD", field: 'blocks[0].fields["start"]' });
    expect(rejection(() => read([block("course.c", [], { start: '"2026-02-30T00:00:00Z"' })]))).toMatchObject({ reason: "INVALID_XBLOCK_FIELD" });
    expect(rejection(() => read([block("course.c", [], { visible_to_staff_only: '"yes"' })]))).toMatchObject({ reason: "INVALID_XBLOCK_FIELD" });
    expect(rejection(() => read([block("course.c", [], { max_count: "1.5" })]))).toMatchObject({ reason: "INVALID_XBLOCK_FIELD" });
    expect(rejection(() => read([block("course.c", [], { custom: "{not json" })]))).toMatchObject({ reason: "INVALID_FIELD_VALUE", field: 'blocks[0].fields["custom"]' });
    expect(rejection(() => read([block("course.c", [], { "": "1" })]))).toMatchObject({ reason: "INVALID_FIELD_NAME" });
  });
});
