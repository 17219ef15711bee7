import { create } from "@bufbuild/protobuf";
import {
  CatalogCourseSchema,
  CourseRunSchema,
  OrganizationSchema,
  type CatalogCourse as CatalogCourseMessage,
  type CourseRun as CourseRunMessage,
  type Organization as OrganizationMessage,
} from "../../../gen/learnerstate/v1/catalog_pb.js";
import { catalogCourseKey, shortCodeOfLanguage, type CourseRun, type StoredCatalogCourse, type StoredOrganization } from "../../domain/catalog/index.js";
import { timestampFromMicros } from "../timestamp.js";

// Field by field, so that a column the store adds never reaches the wire unreviewed.

/** The `Organization` message of a stored organization. */
export function organizationMessage(organization: StoredOrganization): OrganizationMessage {
  return create(OrganizationSchema, {
    id: organization.id,
    shortName: organization.shortName,
    name: organization.name,
    createTime: timestampFromMicros(organization.created),
    updateTime: timestampFromMicros(organization.modified),
  });
}

/** The `CatalogCourse` message of a stored catalog course. */
export function catalogCourseMessage(course: StoredCatalogCourse): CatalogCourseMessage {
  return create(CatalogCourseSchema, {
    id: course.id,
    key: catalogCourseKey(course.organization.shortName, course.courseCode),
    org: organizationMessage(course.organization),
    courseCode: course.courseCode,
    title: course.title,
    language: course.language,
    languageShort: shortCodeOfLanguage(course.language),
    createTime: timestampFromMicros(course.created),
    updateTime: timestampFromMicros(course.modified),
  });
}

/** The `CourseRun` message of a course run. */
export function courseRunMessage(run: CourseRun): CourseRunMessage {
  return create(CourseRunSchema, {
    courseKey: run.courseKey,
    catalogCourseId: run.catalogCourseId,
    catalogCourseKey: catalogCourseKey(run.orgShortName, run.courseCode),
    orgCode: run.orgCode,
    courseCode: run.courseCode,
    runCode: run.runCode,
    title: run.title,
    createTime: timestampFromMicros(run.created),
    updateTime: timestampFromMicros(run.modified),
  });
}
