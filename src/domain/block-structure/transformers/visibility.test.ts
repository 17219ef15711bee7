import { describe, expect, it } from "vitest";
import { graph, namesIn, transformWith, usageOf } from "../testing.js";
import { visibilityTransformer } from "./visibility.js";

// The vertical v is under a staff-only chapter and a visible one; w only under the staff-only one.
const course = () =>
  graph(
    { "course.c": ["chapter.staff", "chapter.open"], "chapter.staff": ["vertical.v", "vertical.w"], "chapter.open": ["vertical.v", "vertical.hidden"], "vertical.w": ["problem.p"] },
    { "chapter.staff": { visible_to_staff_only: true }, "vertical.hidden": { visible_to_staff_only: true } },
  );

describe("visibilityTransformer", () => {
  it("should remove staff-only blocks and what only they lead to, keeping a block one visible parent reaches", () => {
    expect(namesIn(transformWith(course(), [visibilityTransformer], usageOf()))).toEqual(["course.c", "chapter.open", "vertical.v"]);
  });

  it("should filter a block shared with a removed subtree, on its own settings", () => {
    // q is under the staff-only chapter's vertical and under an open chapter, and is staff-only itself.
    const shared = graph(
      { "course.c": ["chapter.staff", "chapter.open"], "chapter.staff": ["vertical.w"], "vertical.w": ["problem.q", "problem.r"], "chapter.open": ["problem.q", "problem.r"] },
      { "chapter.staff": { visible_to_staff_only: true }, "problem.q": { visible_to_staff_only: true } },
    );
    expect(namesIn(transformWith(shared, [visibilityTransformer], usageOf()))).toEqual(["course.c", "chapter.open", "problem.r"]);
  });

  it("should show staff everything", () => {
    expect(namesIn(transformWith(course(), [visibilityTransformer], usageOf({ hasStaffAccess: true })))).toEqual([
      "course.c",
      "chapter.staff",
      "vertical.w",
      "problem.p",
      "chapter.open",
      "vertical.v",
      "vertical.hidden",
    ]);
  });

  it("should treat visible_to_staff_only: false and null as visible", () => {
    const open = graph({ "course.c": ["chapter.a", "chapter.b"] }, { "chapter.a": { visible_to_staff_only: false }, "chapter.b": { visible_to_staff_only: null } });
    expect(namesIn(transformWith(open, [visibilityTransformer], usageOf()))).toEqual(["course.c", "chapter.a", "chapter.b"]);
  });
});
