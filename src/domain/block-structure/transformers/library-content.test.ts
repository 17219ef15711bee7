import { describe, expect, it } from "vitest";
import { createBlockStructure } from "../block-structure.js";
import { collectWith, graph, keyOf, namesIn, transformWith, usageOf } from "../testing.js";
import { libraryContentTransformer } from "./library-content.js";

const course = (maxCount?: number) =>
  graph(
    { "course.c": ["vertical.v"], "vertical.v": ["library_content.lib", "problem.outside"], "library_content.lib": ["problem.p1", "problem.p2", "html.h3"], "problem.p1": ["html.under"] },
    maxCount === undefined ? {} : { "library_content.lib": { max_count: maxCount } },
  );

describe("libraryContentTransformer", () => {
  it("should keep only the children in the learner's stored selection, staff included", () => {
    for (const hasStaffAccess of [false, true]) {
      const usage = usageOf({ hasStaffAccess, state: { "library_content.lib": { selected: [["html", "h3"]] } } });
      expect(namesIn(transformWith(course(), [libraryContentTransformer], usage))).toEqual(["course.c", "vertical.v", "library_content.lib", "html.h3", "problem.outside"]);
    }
  });

  it("should keep at most max_count (default 1, -1 all) in stored order, skipping entries that name no child", () => {
    const selected = [["problem", "gone"], ["problem", "p2"], "junk", ["problem", "p1"], ["problem", "p2"]];
    const state = { "library_content.lib": { selected } };
    const kept = (maxCount?: number) => namesIn(transformWith(course(maxCount), [libraryContentTransformer], usageOf({ state }))).filter((name) => name.startsWith("problem.p") || name === "html.under");
    expect(kept()).toEqual(["problem.p2"]);
    expect(kept(2)).toEqual(["problem.p1", "html.under", "problem.p2"]);
    expect(kept(-1)).toEqual(["problem.p1", "html.under", "problem.p2"]);
    expect(kept(0)).toEqual([]);
  });

  it("should keep no child of a learner without a stored selection, and output the selection", () => {
    expect(namesIn(transformWith(course(), [libraryContentTransformer], usageOf()))).toEqual(["course.c", "vertical.v", "library_content.lib", "problem.outside"]);
    const usage = usageOf({ state: { "library_content.lib": { selected: [["problem", "p2"]] } } });
    const structure = transformWith(course(), [libraryContentTransformer], usage);
    expect(libraryContentTransformer.outputOf!(usage, structure, keyOf("library_content.lib"))).toEqual({ selected: [keyOf("problem.p2")] });
    expect(libraryContentTransformer.outputOf!(usage, structure, keyOf("vertical.v"))).toBeUndefined();
  });

  it("should ask for the learner state of item bank blocks only", () => {
    const { collected } = collectWith(graph({ "course.c": ["library_content.a", "itembank.b", "vertical.v"] }), [libraryContentTransformer]);
    expect(collected.userStateKeys).toEqual([keyOf("itembank.b"), keyOf("library_content.a")].sort());
    expect(createBlockStructure(collected).transformerFieldOf(keyOf("itembank.b"), "library_content", "max_count")).toBe(1);
  });
});
