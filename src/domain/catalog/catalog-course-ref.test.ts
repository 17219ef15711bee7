import { describe, expect, it } from "vitest";
import { checkCatalogCourseSelection } from "./catalog-course-ref.js";

describe("checkCatalogCourseSelection()", () => {
  it("should split a key at its first two colons, as get_catalog_course(key_str=…) does", () => {
    expect(checkCatalogCourseSelection({ kind: "key", key: "catalog-course:edX:Demo:X" }, "catalog_course")).toEqual({ kind: "code", orgCode: "edX", courseCode: "Demo:X" });
    expect(checkCatalogCourseSelection({ kind: "org-course", orgCode: "edx", courseCode: "DemoX" }, "catalog_course")).toEqual({ kind: "code", orgCode: "edx", courseCode: "DemoX" });
    expect(checkCatalogCourseSelection({ kind: "id", id: 7n }, "catalog_course")).toEqual({ kind: "id", id: 7n });
  });

  it("should refuse an empty selection, a non-positive id, a malformed key and empty codes, naming the field at fault", () => {
    const cases: Array<[Parameters<typeof checkCatalogCourseSelection>[0], string]> = [
      [{ kind: "none" }, "catalog_course"],
      [{ kind: "id", id: 0n }, "catalog_course.id"],
      [{ kind: "key", key: "edX:DemoX" }, "catalog_course.key"],
      [{ kind: "key", key: "catalog-course:edX" }, "catalog_course.key"],
      [{ kind: "key", key: "catalog-course::DemoX" }, "catalog_course.key"],
      [{ kind: "key", key: "catalog-course:edX:" }, "catalog_course.key"],
      [{ kind: "org-course", orgCode: "", courseCode: "DemoX" }, "catalog_course.org_course.org_code"],
      [{ kind: "org-course", orgCode: "edX", courseCode: "" }, "catalog_course.org_course.course_code"],
    ];
    for (const [selection, field] of cases) {
      expect(() => checkCatalogCourseSelection(selection, "catalog_course"), JSON.stringify(selection, (_, value: unknown) => (typeof value === "bigint" ? String(value) : value))).toThrow(
        expect.objectContaining({ reason: "INVALID_CATALOG_COURSE", metadata: expect.objectContaining({ field }) }),
      );
    }
  });
});
