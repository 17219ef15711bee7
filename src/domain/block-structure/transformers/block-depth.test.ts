import { describe, expect, it } from "vitest";
import { createBlockStructure } from "../block-structure.js";
import { collectWith, graph, keyOf, namesIn, noOptions, usageOf } from "../testing.js";
import { blockDepthOf, blockDepthTransformer } from "./block-depth.js";

// p is two deep through chapter b and three deep through chapter a's vertical.
const course = () => graph({ "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["vertical.v"], "vertical.v": ["problem.p"], "chapter.b": ["problem.p"] });

function transformed(requestedDepth: number | null, start?: string) {
  const { registry, collected } = collectWith(course(), [blockDepthTransformer]);
  const structure = createBlockStructure(collected);
  if (start !== undefined) {
    structure.setRootBlock(keyOf(start));
    structure.pruneUnreachable();
  }
  const usage = usageOf({ options: { ...noOptions, requestedDepth } });
  registry.transform(structure, usage, registry.resolve(["blocks_api:block_depth"]));
  return { structure, usage };
}

describe("blockDepthTransformer", () => {
  it("should give each block its depth through its shallowest parent", () => {
    const { structure, usage } = transformed(null);
    const depth = (name: string) => blockDepthOf(structure, keyOf(name));
    expect([depth("course.c"), depth("chapter.a"), depth("vertical.v"), depth("problem.p")]).toEqual([0, 1, 2, 2]);
    expect(blockDepthTransformer.outputOf!(usage, structure, keyOf("problem.p"))).toEqual({ depth: 2 });
  });

  it("should count depth from the starting block", () => {
    const { structure } = transformed(null, "chapter.a");
    expect(blockDepthOf(structure, keyOf("chapter.a"))).toBe(0);
    expect(blockDepthOf(structure, keyOf("problem.p"))).toBe(2);
  });

  it("should remove blocks deeper than the requested depth", () => {
    expect(namesIn(transformed(1).structure)).toEqual(["course.c", "chapter.a", "chapter.b"]);
    expect(namesIn(transformed(0).structure)).toEqual(["course.c"]);
    expect(namesIn(transformed(2).structure)).toEqual(["course.c", "chapter.a", "vertical.v", "chapter.b", "problem.p"]);
  });
});
