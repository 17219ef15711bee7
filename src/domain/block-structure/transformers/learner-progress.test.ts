import { describe, expect, it } from "vitest";
import { collectWith, graph, keyOf, namesIn, transformWith, usageOf } from "../testing.js";
import { createBlockStructure } from "../block-structure.js";
import { learnerProgressTransformer } from "./learner-progress.js";
import { visibilityTransformer } from "./visibility.js";

// p is under both chapters; q is weighted; r has no stored score; s is staff-only.
const course = () =>
  graph(
    { "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["problem.p", "problem.q"], "chapter.b": ["problem.p", "problem.r", "problem.s"] },
    {
      "problem.p": { has_score: true },
      "problem.q": { has_score: true, weight: 10 },
      "problem.r": { has_score: true, max_score: 4, weight: 2 },
      "problem.s": { has_score: true, visible_to_staff_only: true },
    },
  );
const state = {
  "problem.p": { score: { raw_earned: 1, raw_possible: 2 } },
  "problem.q": { score: { raw_earned: 3, raw_possible: 4 } },
  "problem.s": { score: { raw_earned: 5, raw_possible: 5 } },
};

describe("learnerProgressTransformer", () => {
  it("should weigh scores as upstream's grades do and sum them up, a shared block once", () => {
    const usage = usageOf({ state });
    const structure = transformWith(course(), [learnerProgressTransformer], usage);
    const progress = (name: string) => learnerProgressTransformer.outputOf!(usage, structure, keyOf(name));
    expect(progress("problem.p")).toEqual({ earned: 1, possible: 2, scored_blocks: 1, attempted_blocks: 1 });
    expect(progress("problem.q")).toEqual({ earned: 7.5, possible: 10, scored_blocks: 1, attempted_blocks: 1 });
    // No stored score: 0 out of max_score, weighed to 0 out of 2.
    expect(progress("problem.r")).toEqual({ earned: 0, possible: 2, scored_blocks: 1, attempted_blocks: 0 });
    expect(progress("chapter.a")).toEqual({ earned: 8.5, possible: 12, scored_blocks: 2, attempted_blocks: 2 });
    expect(progress("chapter.b")).toEqual({ earned: 6, possible: 9, scored_blocks: 3, attempted_blocks: 2 });
    expect(progress("course.c")).toEqual({ earned: 13.5, possible: 19, scored_blocks: 4, attempted_blocks: 3 });
  });

  it("should count only blocks that survived the transformers before it", () => {
    const usage = usageOf({ state });
    const structure = transformWith(course(), [visibilityTransformer, learnerProgressTransformer], usage);
    expect(namesIn(structure)).not.toContain("problem.s");
    expect(learnerProgressTransformer.outputOf!(usage, structure, keyOf("course.c"))).toEqual({ earned: 8.5, possible: 14, scored_blocks: 3, attempted_blocks: 2 });
  });

  it("should treat a stored score of another shape as no score, and ask for the state of scored blocks only", () => {
    const usage = usageOf({ state: { "problem.p": { score: { raw_earned: "1", raw_possible: 2 } } } });
    const structure = transformWith(course(), [learnerProgressTransformer], usage);
    expect(learnerProgressTransformer.outputOf!(usage, structure, keyOf("problem.p"))).toEqual({ earned: 0, possible: 0, scored_blocks: 1, attempted_blocks: 0 });
    const { collected } = collectWith(course(), [learnerProgressTransformer]);
    expect(collected.userStateKeys).toEqual(["problem.p", "problem.q", "problem.r", "problem.s"].map(keyOf).sort());
    expect(learnerProgressTransformer.outputOf!(usage, createBlockStructure(collected), keyOf("chapter.a"))).toBeUndefined();
  });
});
