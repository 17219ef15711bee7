import { describe, expect, it } from "vitest";
import { graph, keyOf, namesIn, transformWith, usageOf, collectWith } from "../testing.js";
import { defaultStartMs, startDateTransformer } from "./start-date.js";

const june = Date.UTC(2026, 5, 1);
const course = () =>
  graph(
    {
      "course.c": ["chapter.open", "chapter.later"],
      "chapter.open": ["sequential.s", "sequential.late"],
      "chapter.later": ["sequential.s", "sequential.t"],
      "sequential.late": ["vertical.v"],
    },
    {
      "course.c": { start: "2026-01-01T00:00:00Z" },
      "chapter.later": { start: "2026-09-01T00:00:00Z" },
      // Earlier than its chapter: the chapter's start wins on that path.
      "sequential.t": { start: "2026-03-01T00:00:00Z" },
      "sequential.late": { start: "2026-07-01T00:00:00+02:00" },
    },
  );

describe("startDateTransformer", () => {
  it("should percolate the latest start down a path and the earliest over parents", () => {
    const { collected } = collectWith(course(), [startDateTransformer]);
    const merged = (name: string) => collected.transformers.get("start_date")!.blocks.get(keyOf(name))!["merged_start_date"];
    expect(merged("chapter.open")).toBe(Date.UTC(2026, 0, 1));
    expect(merged("sequential.t")).toBe(Date.UTC(2026, 8, 1));
    expect(merged("sequential.s")).toBe(Date.UTC(2026, 0, 1));
    expect(merged("vertical.v")).toBe(Date.UTC(2026, 5, 30, 22));
  });

  it("should remove blocks that have not started, and keep a block one started parent reaches", () => {
    expect(namesIn(transformWith(course(), [startDateTransformer], usageOf({ nowMs: june })))).toEqual(["course.c", "chapter.open", "sequential.s"]);
    expect(namesIn(transformWith(course(), [startDateTransformer], usageOf({ nowMs: Date.UTC(2026, 6, 1) })))).toEqual([
      "course.c",
      "chapter.open",
      "sequential.s",
      "sequential.late",
      "vertical.v",
    ]);
  });

  it("should show a block only after its start instant", () => {
    const start = Date.UTC(2026, 0, 1);
    expect(namesIn(transformWith(course(), [startDateTransformer], usageOf({ nowMs: start })))).toEqual([]);
    expect(namesIn(transformWith(course(), [startDateTransformer], usageOf({ nowMs: start + 1 })))[0]).toBe("course.c");
  });

  it("should start a course without start on upstream's default date, and show staff everything", () => {
    const undated = graph({ "course.c": ["chapter.a"] });
    expect(namesIn(transformWith(undated, [startDateTransformer], usageOf({ nowMs: defaultStartMs - 1 })))).toEqual([]);
    expect(namesIn(transformWith(undated, [startDateTransformer], usageOf({ nowMs: defaultStartMs + 1 })))).toEqual(["course.c", "chapter.a"]);
    expect(namesIn(transformWith(course(), [startDateTransformer], usageOf({ nowMs: 0, hasStaffAccess: true }))).length).toBe(7);
  });
});
