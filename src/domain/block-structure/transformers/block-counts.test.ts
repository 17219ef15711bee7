import { describe, expect, it } from "vitest";
import { createBlockStructure } from "../block-structure.js";
import { collectWith, graph, keyOf, noOptions, usageOf } from "../testing.js";
import { blockCountsTransformer } from "./block-counts.js";

const course = () =>
  graph({ "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["vertical.v", "problem.x"], "vertical.v": ["problem.p", "video.m"], "chapter.b": ["vertical.v"] });

function countsFor(types: string[]) {
  const { registry, collected } = collectWith(course(), [blockCountsTransformer]);
  const structure = createBlockStructure(collected);
  const usage = usageOf({ options: { ...noOptions, blockTypesToCount: types } });
  registry.transform(structure, usage, registry.resolve(["blocks_api:block_counts"]));
  return (name: string) => blockCountsTransformer.outputOf!(usage, structure, keyOf(name));
}

describe("blockCountsTransformer", () => {
  it("should count each type at or under each block, a shared block once per path as upstream does", () => {
    const counts = countsFor(["problem", "video"]);
    expect(counts("problem.p")).toEqual({ problem: 1, video: 0 });
    expect(counts("vertical.v")).toEqual({ problem: 1, video: 1 });
    expect(counts("chapter.a")).toEqual({ problem: 2, video: 1 });
    expect(counts("chapter.b")).toEqual({ problem: 1, video: 1 });
    expect(counts("course.c")).toEqual({ problem: 3, video: 2 });
  });

  it("should output nothing when no type is asked for", () => {
    expect(countsFor([])("course.c")).toBeUndefined();
  });
});
