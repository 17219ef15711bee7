import { invalidArgument } from "../errors.js";

/** How a caller named a catalog course, as the request carried it. */
export type CatalogCourseSelection =
  | { readonly kind: "none" }
  | { readonly kind: "id"; readonly id: bigint }
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "org-course"; readonly orgCode: string; readonly courseCode: string };

/**
 * A checked reference to a catalog course: its id, or its org short name
 * (matched regardless of case) and course code (matched exactly).
 */
export type CatalogCourseRef = { readonly kind: "id"; readonly id: bigint } | { readonly kind: "code"; readonly orgCode: string; readonly courseCode: string };

/** The prefix of catalog course keys (`CatalogCourse.key_str`). */
export const catalogCourseKeyPrefix = "catalog-course:";

/** The key of the catalog course `courseCode` of the org `orgShortName`. */
export function catalogCourseKey(orgShortName: string, courseCode: string): string {
  return `${catalogCourseKeyPrefix}${orgShortName}:${courseCode}`;
}

/**
 * Checks how the request field `field` names a catalog course. A key is
 * split as `get_catalog_course(key_str=…)` splits it: the org between the
 * first and second colon, the course code after. Throws INVALID_ARGUMENT
 * (INVALID_CATALOG_COURSE) naming the field at fault when nothing is
 * selected, the id is not positive, the key lacks its prefix or a part, or a
 * code is empty.
 */
export function checkCatalogCourseSelection(selection: CatalogCourseSelection, field: string): CatalogCourseRef {
  switch (selection.kind) {
    case "none":
      throw invalidArgument("INVALID_CATALOG_COURSE", field, "name the catalog course by id, key or org_course");
    case "id":
      if (selection.id <= 0n) throw invalidArgument("INVALID_CATALOG_COURSE", `${field}.id`, "must be positive");
      return { kind: "id", id: selection.id };
    case "key": {
      const rest = selection.key.startsWith(catalogCourseKeyPrefix) ? selection.key.slice(catalogCourseKeyPrefix.length) : null;
      const colon = rest === null ? -1 : rest.indexOf(":");
      if (rest === null || colon <= 0 || colon === rest.length - 1) {
        throw invalidArgument("INVALID_CATALOG_COURSE", `${field}.key`, `${JSON.stringify(selection.key.slice(0, 200))} is not a key catalog-course:<org>:<course>`, {
          key: selection.key.slice(0, 200),
        });
      }
      return { kind: "code", orgCode: rest.slice(0, colon), courseCode: rest.slice(colon + 1) };
    }
    case "org-course":
      if (selection.orgCode === "") throw invalidArgument("INVALID_CATALOG_COURSE", `${field}.org_course.org_code`, "must not be empty");
      if (selection.courseCode === "") throw invalidArgument("INVALID_CATALOG_COURSE", `${field}.org_course.course_code`, "must not be empty");
      return { kind: "code", orgCode: selection.orgCode, courseCode: selection.courseCode };
  }
}

/** How a checked reference is shown in messages. */
export function describeRef(ref: CatalogCourseRef): string {
  return ref.kind === "id" ? `catalog course ${ref.id}` : catalogCourseKey(ref.orgCode, ref.courseCode);
}
