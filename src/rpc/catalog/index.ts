export { catalogCourseMessage, courseRunMessage, organizationMessage } from "./catalog-messages.js";
export { selectionOf } from "./catalog-selection.js";
