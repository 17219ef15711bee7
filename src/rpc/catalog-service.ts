import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { CatalogService } from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { pageSizeOf, type CatalogOperations } from "../domain/catalog/index.js";
import { callLimitsOf } from "./call-limits-of.js";
import { catalogCourseMessage, courseRunMessage, organizationMessage, selectionOf } from "./catalog/index.js";
import type { ResumeTokenCodec } from "./resume-token.js";

/**
 * Logs a warning about a call (the server adds the call's request id): what
 * the Django API logs with `log.warning`, which the domain reports as flags.
 */
export type CallWarning = (context: HandlerContext, fields: Record<string, unknown>, message: string) => void;

// What page tokens are bound to: a token works only for the listing it came from.
const catalogCoursesOf = (orgCode: string) => ["catalog-courses", orgCode.toLowerCase()];
const courseRunsOf = (catalogCourseId: bigint | null) => ["course-runs", catalogCourseId?.toString() ?? ""];

/**
 * Implements learnerstate.v1.CatalogService on top of the catalog rules.
 * `pageTokens` signs the page tokens of the list calls; `warn` logs what the
 * Django API would log as warnings (a run that already existed, an org whose
 * case differs from its organization's short name).
 */
export function createCatalogService(operations: CatalogOperations, pageTokens: ResumeTokenCodec, warn: CallWarning): ServiceImpl<typeof CatalogService> {
  const nextPageToken = (parameters: string[], next: bigint | null) => (next === null ? "" : pageTokens.encodeFor(parameters, next));

  return {
    async getCatalogCourse(request, context) {
      const { catalogCourse, runs } = await operations.getCatalogCourse(callLimitsOf(context), selectionOf(request.catalogCourse));
      return {
        catalogCourse: catalogCourseMessage(catalogCourse),
        runs: runs.items.map(courseRunMessage),
        runsNextPageToken: nextPageToken(courseRunsOf(catalogCourse.id), runs.next),
      };
    },

    async updateCatalogCourse(request, context) {
      const updated = await operations.updateCatalogCourse(callLimitsOf(context), selectionOf(request.catalogCourse), request.title, request.languageShort);
      return { catalogCourse: catalogCourseMessage(updated) };
    },

    async deleteCatalogCourse(request, context) {
      await operations.deleteCatalogCourse(callLimitsOf(context), selectionOf(request.catalogCourse));
      return {};
    },

    async getCourseRun(request, context) {
      return { courseRun: courseRunMessage(await operations.getCourseRun(callLimitsOf(context), request.courseKey)) };
    },

    async syncCourseRunDetails(request, context) {
      return { courseRun: courseRunMessage(await operations.syncCourseRunDetails(callLimitsOf(context), request.courseKey, request.title)) };
    },

    async deleteCourseRun(request, context) {
      await operations.deleteCourseRun(callLimitsOf(context), request.courseKey);
      return {};
    },

    async createCourseRunForModulestoreCourse(request, context) {
      const created = await operations.createCourseRunForModulestoreCourse(callLimitsOf(context), request.courseKey, request.title, request.languageShort);
      const { courseKey } = created.run;
      if (created.alreadyExisted) warn(context, { courseKey }, `Expected to create CourseRun for "${courseKey}" but it already existed.`);
      if (created.orgCaseDiffers) {
        const shortName = created.catalogCourse.organization.shortName;
        warn(context, { courseKey, orgShortName: shortName }, `The course with ID "${courseKey}" does not match its Organization.short_name "${shortName}"`);
      }
      return {
        courseRun: courseRunMessage(created.run),
        catalogCourse: catalogCourseMessage(created.catalogCourse),
        alreadyExisted: created.alreadyExisted,
        catalogCourseCreated: created.catalogCourseCreated,
        organizationCreated: created.organizationCreated,
      };
    },

    async listCatalogCourses(request, context) {
      const size = pageSizeOf(request.pageSize);
      const parameters = catalogCoursesOf(request.orgCode);
      const after = pageTokens.decodeFor(request.pageToken, parameters, "page_token");
      const call = callLimitsOf(context);
      const organization = request.orgCode === "" ? null : await operations.organizationOf(call, request.orgCode, "org_code");
      const page = await operations.listCatalogCourses(call, organization?.id ?? null, after, size);
      return { catalogCourses: page.items.map(catalogCourseMessage), nextPageToken: nextPageToken(parameters, page.next) };
    },

    async listCourseRuns(request, context) {
      const size = pageSizeOf(request.pageSize);
      const call = callLimitsOf(context);
      const catalogCourse = request.catalogCourse === undefined ? null : await operations.catalogCourseOf(call, selectionOf(request.catalogCourse), "catalog_course");
      const parameters = courseRunsOf(catalogCourse?.id ?? null);
      const after = pageTokens.decodeFor(request.pageToken, parameters, "page_token");
      const page = await operations.listCourseRuns(call, catalogCourse?.id ?? null, after, size);
      return { courseRuns: page.items.map(courseRunMessage), nextPageToken: nextPageToken(parameters, page.next) };
    },

    async createOrganization(request, context) {
      const { organization, alreadyExisted } = await operations.createOrganization(callLimitsOf(context), request.shortName, request.name);
      return { organization: organizationMessage(organization), alreadyExisted };
    },
  };
}
