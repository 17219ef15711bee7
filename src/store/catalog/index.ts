export { CatalogCourseRow } from "./catalog-course-row.js";
export { createCatalogRepository } from "./catalog-repository.js";
export { CourseRunRow } from "./course-run-row.js";
export { OrganizationRow } from "./organization-row.js";
