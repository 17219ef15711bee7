import type { CatalogCourseSelector } from "../../../gen/learnerstate/v1/catalog_pb.js";
import type { CatalogCourseSelection } from "../../domain/catalog/index.js";

/** How a request's `CatalogCourseSelector` names a catalog course; "none" when it is unset or names nothing. */
export function selectionOf(selector: CatalogCourseSelector | undefined): CatalogCourseSelection {
  const chosen = selector?.selector;
  switch (chosen?.case) {
    case "id":
      return { kind: "id", id: chosen.value };
    case "key":
      return { kind: "key", key: chosen.value };
    case "orgCourse":
      return { kind: "org-course", orgCode: chosen.value.orgCode, courseCode: chosen.value.courseCode };
    default:
      return { kind: "none" };
  }
}
