export { catalogCourseKey, checkCatalogCourseSelection } from "./catalog-course-ref.js";
export type { CatalogCourseRef, CatalogCourseSelection } from "./catalog-course-ref.js";
export { createCatalogOperations } from "./catalog-operations.js";
export type { CatalogOperations, CatalogOptions, CourseRun, CourseRunCreation, Page } from "./catalog-operations.js";
export type {
  CatalogCourseChanges,
  CatalogCourseDeletion,
  CatalogStore,
  CourseRunDraft,
  CourseRunOutcome,
  StoredCatalogCourse,
  StoredCourseRun,
  StoredOrganization,
} from "./catalog-store.js";
export { parseCourseRunKey } from "./course-run-key.js";
export type { CourseRunKey } from "./course-run-key.js";
export { defaultLanguage, languageOfShortCode, shortCodeOfLanguage } from "./language-code.js";
export { defaultPageSize, maxPageSize, pageSizeOf } from "./page-size.js";
