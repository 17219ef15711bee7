// Property tests of how block filters combine (issue 23): over generated DAG
// courses and learners, the blocks left by filters F1 and F2 together are
// those left by F1 alone and by F2 alone, pruned to what the root still
// reaches through them; and the order filters are named in never matters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reachableWithin, type CourseOutline } from "../../../test/support/course-outline.js";
import { filterNames, outlineOf, randomCourse, randomLearner, selectionsOf, type RandomBlock, type RandomLearner } from "../../../test/support/random-course.js";
import { createBlockStructure, type BlockStructure } from "./block-structure.js";
import type { CollectedStructure } from "./collected-structure.js";
import { defaultTransformers } from "./default-registry.js";
import { collectWith, graph, keyOf, namesIn, usageOf } from "./testing.js";
import type { UsageInfo } from "./transformer.js";
import type { TransformerRegistry } from "./transformer-registry.js";
import { blockDepthTransformer } from "./transformers/index.js";

/** The structure of a generated course, with nothing collected. */
function structureOf(blocks: readonly RandomBlock[]): { outline: CourseOutline; input: CollectedStructure } {
  const outline = outlineOf(blocks, keyOf);
  return { outline, input: graph(Object.fromEntries(outline.names.map((name) => [name, [...outline.children[name]!]])), outline.fields) };
}

/** The usage of `learner` viewing `outline`, with their stored library selections. */
function usageFor(outline: CourseOutline, learner: RandomLearner): UsageInfo {
  const state = Object.fromEntries([...selectionsOf(outline, learner)].map(([name, selected]) => [name, { selected }]));
  return usageOf({
    hasStaffAccess: learner.staff,
    nowMs: learner.now,
    partitionGroups: new Map(Object.entries(learner.groups).map(([partition, group]): [number, number] => [Number(partition), group])),
    state,
  });
}

function transformed(registry: TransformerRegistry, collected: CollectedStructure, usage: UsageInfo, names: readonly string[]): BlockStructure {
  const structure = createBlockStructure(collected);
  registry.transform(structure, usage, registry.resolve(names));
  return structure;
}

const subsetOfFilters = fc.subarray([...filterNames]);

describe("combined block filters", () => {
  it("should leave with F1 and F2 together what F1 and F2 each leave, pruned to what the root reaches", () => {
    fc.assert(
      fc.property(randomCourse, randomLearner, subsetOfFilters, subsetOfFilters, (blocks, learner, first, second) => {
        const { outline, input } = structureOf(blocks);
        const { registry, collected } = collectWith(input, defaultTransformers);
        const usage = usageFor(outline, learner);
        const together = transformed(registry, collected, usage, [...new Set([...first, ...second])]);
        const alone = (names: readonly string[]) => new Set(transformed(registry, collected, usage, names).keys());
        const one = alone(first);
        const other = alone(second);
        const childrenOf = (key: string) => collected.blocks.get(key)!.children;
        const expected = reachableWithin(collected.rootKey, childrenOf, new Set([...one].filter((key) => other.has(key))));
        expect(new Set(together.keys())).toEqual(expected);
        // Kept blocks keep their kept children, in course order; nothing is re-linked.
        for (const key of together.keys()) expect(together.childrenOf(key)).toEqual(collected.blocks.get(key)!.children.filter((child) => expected.has(child)));
      }),
      { numRuns: 3000 },
    );
  });

  it("should not depend on the order filters are named in", () => {
    fc.assert(
      fc.property(randomCourse, randomLearner, subsetOfFilters.chain((names) => fc.tuple(fc.constant(names), fc.shuffledSubarray(names, { minLength: names.length }))), (blocks, learner, [names, shuffled]) => {
        const { outline, input } = structureOf(blocks);
        const { registry, collected } = collectWith(input, defaultTransformers);
        const usage = usageFor(outline, learner);
        const inOrder = transformed(registry, collected, usage, names);
        const reordered = transformed(registry, collected, usage, shuffled);
        expect(namesIn(reordered)).toEqual(namesIn(inOrder));
        for (const key of inOrder.keys()) expect(reordered.childrenOf(key)).toEqual(inOrder.childrenOf(key));
      }),
      { numRuns: 1000 },
    );
  });

  it("should hide an after-due vertical that a staff-only chapter shares, whichever filters are named with it (issue 23)", () => {
    // The smallest case found: V has two parents, one under a staff-only chapter.
    const input = graph(
      { "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["sequential.a1"], "chapter.b": ["sequential.b1"], "sequential.a1": ["vertical.v"], "sequential.b1": ["vertical.v"], "vertical.v": ["html.h"] },
      { "course.c": { self_paced: true, start: "2026-09-01T00:00:00Z", end: "2027-02-24T12:00:00Z" }, "chapter.b": { visible_to_staff_only: true }, "vertical.v": { hide_after_due: true } },
    );
    const { registry, collected } = collectWith(input, defaultTransformers);
    const usage = usageOf({ nowMs: Date.parse("2027-03-01T00:00:00Z") });
    expect(namesIn(transformed(registry, collected, usage, ["hidden_content"]))).toEqual(["course.c", "chapter.a", "sequential.a1", "chapter.b", "sequential.b1"]);
    expect(namesIn(transformed(registry, collected, usage, ["visibility"]))).toEqual(["course.c", "chapter.a", "sequential.a1", "vertical.v", "html.h"]);
    for (const names of [["visibility", "hidden_content"], ["hidden_content", "visibility"], [...filterNames]]) {
      expect(namesIn(transformed(registry, collected, usage, names)), names.join(",")).toEqual(["course.c", "chapter.a", "sequential.a1"]);
    }
  });
});

describe("removal by traversal", () => {
  it("should ask about a block whose other parent was removed before the traversal reached it", () => {
    // s is deeper than 2 and goes; t goes with it (s was its only parent);
    // g stays at depth 2 through p, and h, at depth 3, must go too.
    const input = graph({
      "course.c": ["chapter.p", "chapter.q"],
      "chapter.p": ["vertical.g"],
      "chapter.q": ["sequential.r"],
      "sequential.r": ["vertical.s"],
      "vertical.s": ["vertical.t"],
      "vertical.t": ["vertical.g"],
      "vertical.g": ["html.h"],
    });
    const { registry, collected } = collectWith(input, [blockDepthTransformer]);
    const structure = createBlockStructure(collected);
    registry.transform(structure, usageOf({ options: { blockTypesToCount: [], requestedDepth: 2, navigationDepth: null } }), registry.resolve(["blocks_api:block_depth"]));
    expect(namesIn(structure)).toEqual(["course.c", "chapter.p", "vertical.g", "chapter.q", "sequential.r"]);
  });
});
