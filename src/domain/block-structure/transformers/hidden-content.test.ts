import { describe, expect, it } from "vitest";
import { graph, namesIn, transformWith, usageOf } from "../testing.js";
import { hiddenContentTransformer } from "./hidden-content.js";

const beforeDue = Date.UTC(2026, 2, 1);
const afterDue = Date.UTC(2026, 4, 1);
const course = (root: Record<string, unknown> = {}) =>
  graph(
    { "course.c": ["chapter.a"], "chapter.a": ["sequential.hidden", "sequential.undated", "sequential.kept"], "sequential.hidden": ["vertical.v"], "sequential.undated": ["vertical.w"] },
    {
      "course.c": root,
      "sequential.hidden": { hide_after_due: true, due: "2026-04-01T00:00:00Z" },
      "sequential.undated": { hide_after_due: true },
      "sequential.kept": { due: "2026-04-01T00:00:00Z" },
    },
  );

describe("hiddenContentTransformer", () => {
  it("should hide blocks that hide after their due date once it has passed, with their subtree", () => {
    expect(namesIn(transformWith(course(), [hiddenContentTransformer], usageOf({ nowMs: beforeDue })))).toEqual([
      "course.c",
      "chapter.a",
      "sequential.hidden",
      "vertical.v",
      "sequential.undated",
      "vertical.w",
      "sequential.kept",
    ]);
    expect(namesIn(transformWith(course(), [hiddenContentTransformer], usageOf({ nowMs: afterDue })))).toEqual([
      "course.c",
      "chapter.a",
      "sequential.undated",
      "vertical.w",
      "sequential.kept",
    ]);
  });

  it("should hide at the due instant, and show staff everything", () => {
    expect(namesIn(transformWith(course(), [hiddenContentTransformer], usageOf({ nowMs: Date.UTC(2026, 3, 1) })))).not.toContain("sequential.hidden");
    expect(namesIn(transformWith(course(), [hiddenContentTransformer], usageOf({ nowMs: afterDue, hasStaffAccess: true })))).toContain("sequential.hidden");
  });

  it("should hide by the course's end in a self-paced course", () => {
    const selfPaced = course({ self_paced: true, end: "2026-12-31T00:00:00Z" });
    expect(namesIn(transformWith(selfPaced, [hiddenContentTransformer], usageOf({ nowMs: afterDue })))).toContain("sequential.hidden");
    const ended = namesIn(transformWith(selfPaced, [hiddenContentTransformer], usageOf({ nowMs: Date.UTC(2027, 0, 1) })));
    expect(ended).not.toContain("sequential.hidden");
    expect(ended).not.toContain("sequential.undated");
    expect(ended).toContain("sequential.kept");
  });

  it("should inherit the due date, the latest over several parents", () => {
    const dag = graph(
      { "course.c": ["sequential.early", "sequential.late"], "sequential.early": ["vertical.v"], "sequential.late": ["vertical.v"] },
      { "sequential.early": { due: "2026-02-01T00:00:00Z" }, "sequential.late": { due: "2026-06-01T00:00:00Z" }, "vertical.v": { hide_after_due: true } },
    );
    expect(namesIn(transformWith(dag, [hiddenContentTransformer], usageOf({ nowMs: afterDue })))).toContain("vertical.v");
    expect(namesIn(transformWith(dag, [hiddenContentTransformer], usageOf({ nowMs: Date.UTC(2026, 6, 1) })))).not.toContain("vertical.v");
  });
});
