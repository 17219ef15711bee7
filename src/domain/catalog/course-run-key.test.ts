import { describe, expect, it } from "vitest";
import { parseCourseRunKey } from "./course-run-key.js";

describe("parseCourseRunKey()", () => {
  it("should parse course-v1, deprecated and CCX keys into their canonical form and parts", () => {
    expect(parseCourseRunKey("course-v1:edX+DemoX+2026", "course_key")).toEqual({ courseKey: "course-v1:edX+DemoX+2026", orgCode: "edX", courseCode: "DemoX", runCode: "2026", ccx: false });
    expect(parseCourseRunKey("edX/DemoX/2026", "course_key")).toMatchObject({ courseKey: "edX/DemoX/2026", orgCode: "edX", runCode: "2026", ccx: false });
    expect(parseCourseRunKey("ccx-v1:edX+DemoX+2026+ccx@3", "course_key")).toMatchObject({ courseCode: "DemoX", runCode: "2026", ccx: true });
  });

  it("should refuse what does not parse as INVALID_COURSE_KEY, and libraries, branches and versions as NOT_A_COURSE_RUN_KEY", () => {
    expect(() => parseCourseRunKey("not a key", "course_key")).toThrow(expect.objectContaining({ reason: "INVALID_COURSE_KEY" }));
    for (const key of ["library-v1:edX+Lib", "lib:edX:lib1", "course-v1:edX+DemoX+2026+branch@draft", "course-v1:version@0123456789abcdef01234567"]) {
      expect(() => parseCourseRunKey(key, "course_key"), key).toThrow(expect.objectContaining({ reason: "NOT_A_COURSE_RUN_KEY", metadata: expect.objectContaining({ field: "course_key" }) }));
    }
  });
});
