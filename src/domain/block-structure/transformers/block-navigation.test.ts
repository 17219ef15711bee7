import { describe, expect, it } from "vitest";
import { createBlockStructure } from "../block-structure.js";
import { collectWith, graph, keyOf, nameOf, noOptions, usageOf } from "../testing.js";
import { blockDepthTransformer } from "./block-depth.js";
import { blockNavigationTransformer } from "./block-navigation.js";

const course = () =>
  graph(
    {
      "course.c": ["chapter.a", "chapter.b"],
      "chapter.a": ["sequential.s", "sequential.hidden"],
      "sequential.s": ["vertical.v"],
      "vertical.v": ["problem.p"],
      "sequential.hidden": ["vertical.w"],
      "chapter.b": ["sequential.t"],
    },
    { "sequential.hidden": { hide_from_toc: true } },
  );

function navigation(navigationDepth: number | null) {
  const { registry, collected } = collectWith(course(), [blockDepthTransformer, blockNavigationTransformer]);
  const structure = createBlockStructure(collected);
  const usage = usageOf({ options: { ...noOptions, navigationDepth } });
  registry.transform(structure, usage, registry.resolve(["blocks_api:block_depth", "blocks_api:block_navigation"]));
  return (name: string) => {
    const output = blockNavigationTransformer.outputOf!(usage, structure, keyOf(name));
    return output === undefined ? undefined : (output["descendants"] as string[]).map(nameOf);
  };
}

describe("blockNavigationTransformer", () => {
  it("should list children, and everything under children deeper than the navigation depth, skipping hide_from_toc", () => {
    const descendants = navigation(1);
    expect(descendants("course.c")).toEqual(["chapter.a", "chapter.b"]);
    expect(descendants("chapter.a")).toEqual(["sequential.s", "vertical.v", "problem.p"]);
    expect(descendants("chapter.b")).toEqual(["sequential.t"]);
    expect(descendants("sequential.s")).toBeUndefined();
  });

  it("should give every block down to the depth its own list", () => {
    const descendants = navigation(3);
    expect(descendants("sequential.s")).toEqual(["vertical.v"]);
    expect(descendants("vertical.v")).toEqual(["problem.p"]);
    expect(descendants("problem.p")).toBeUndefined();
  });

  it("should build nothing without a navigation depth", () => {
    expect(navigation(null)("course.c")).toBeUndefined();
  });
});
